"""Use cases of the plans app: create a plan (from a template, review pre-filled from the data),
edit its sections, add and change goals under the SMART check, work the findings, move the state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core import metrics
from kefu.core.clock import now
from kefu.core.sanitize import clean_html
from kefu.customers.models import Tier
from kefu.tickets.models import Category, Channel

from . import periods, progress, selectors
from .errors import (
    BadTransition,
    DeadlineOutsidePeriod,
    GoalWithoutOwner,
    NoGoals,
    PermissionDenied,
    UnknownMetric,
    UnknownScope,
    ValidationFailed,
)
from .models import SECTIONS, Finding, FindingState, Goal, Plan, PlanKind, ScopeKind
from .states import PlanState, can_move

SECTION_FIELDS = tuple(name for name, _label in SECTIONS)
GOAL_DIMENSIONS = ("team", "channel", "category", "tier", "agent")


@dataclass
class GoalSpec:
    title: str
    target: float
    metric: str = ""  # blank = manual measure
    baseline: float | None = None  # None = read from the previous period
    direction: str = ""  # blank = the metric's
    unit: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    deadline: date | None = None  # None = the plan's end
    core: bool = True
    weight: int = 1
    owner: User | None = None


def _require_manager(by: User, plan: Plan | None = None) -> None:
    if plan is None:
        if not selectors.can_read(by):
            raise PermissionDenied(_("Only staff write work plans."))
        return
    if not selectors.can_manage(by, plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor may change it."))


# --------------------------------------------------------------------------- plans


@transaction.atomic
def create_plan(
    *,
    title: str,
    kind: str,
    period: str,
    by: User,
    owner: User | None = None,
    scope_kind: str = ScopeKind.SERVICE,
    scope_team: Team | None = None,
    scope_channel: str = "",
    scope_person: User | None = None,
    sections: dict[str, str] | None = None,
    template: str = "",
    prefill_review: bool = True,
) -> Plan:
    owner = owner or by
    # Anyone but a supervisor writes only their own personal plan.
    if not selectors.is_manager(by):  # noqa: SIM102
        if not (
            selectors.can_read(by) and scope_kind == ScopeKind.PERSON and scope_person == by and owner == by
        ):
            raise PermissionDenied(_("Only supervisors write plans for the service, a team or a channel."))
    if kind not in PlanKind.values:
        raise ValidationFailed(_("Unknown kind of plan."), field="kind")
    if not title.strip():
        raise ValidationFailed(_("A plan needs a title."), field="title")
    span = periods.parse(period)
    _check_plan_scope(scope_kind, scope_team, scope_channel, scope_person)
    stamp = now()
    plan = Plan.objects.create(
        title=title.strip()[:200],
        kind=kind,
        template=template,
        period_label=span.label,
        start=span.start,
        end=span.end,
        scope_kind=scope_kind,
        scope_team=scope_team if scope_kind == ScopeKind.TEAM else None,
        scope_channel=scope_channel if scope_kind == ScopeKind.CHANNEL else "",
        scope_person=scope_person if scope_kind == ScopeKind.PERSON else None,
        owner=owner,
        created_at=stamp,
        updated_at=stamp,
        **{name: clean_html(html) for name, html in (sections or {}).items() if name in SECTION_FIELDS},
    )
    if prefill_review:
        from . import review

        review.prefill(plan)
    return plan


def _check_plan_scope(kind: str, team: Team | None, channel: str, person: User | None) -> None:
    if kind not in ScopeKind.values:
        raise UnknownScope(_("Unknown scope."), field="scope_kind")
    if kind == ScopeKind.TEAM and team is None:
        raise UnknownScope(_("Choose the team the plan is for."), field="scope_team")
    if kind == ScopeKind.CHANNEL and channel not in Channel.values:
        raise UnknownScope(_("Choose the channel the plan is for."), field="scope_channel")
    if kind == ScopeKind.PERSON and (person is None or not person.is_agent):
        raise UnknownScope(_("Choose the agent the plan is for."), field="scope_person")


@transaction.atomic
def update_sections(plan: Plan, *, sections: dict[str, str], by: User) -> Plan:
    _require_manager(by, plan)
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan cannot be changed."))
    changed = {name: clean_html(html) for name, html in sections.items() if name in SECTION_FIELDS}
    for name, html in changed.items():
        setattr(plan, name, html)
    plan.updated_at = now()
    plan.version += 1
    plan.save(update_fields=[*changed, "updated_at", "version"])
    return plan


@transaction.atomic
def move_plan(plan: Plan, *, to: str, by: User) -> Plan:
    """Change the state; activation needs at least one goal and an owner for every goal."""
    _require_manager(by, plan)
    if not can_move(plan.state, to):
        raise BadTransition(
            _("A plan cannot go from %(a)s to %(b)s.") % {"a": plan.get_state_display(), "b": to},
            field="state",
        )
    if to == PlanState.ACTIVE:
        goals = list(plan.goals.all())
        if not goals:
            raise NoGoals(_("A plan needs at least one goal before it is activated."), field="goals")
        ownerless = [g.title for g in goals if g.owner_id is None]
        if ownerless:
            raise GoalWithoutOwner(
                _("Every goal needs an owner before the plan is activated: %(goals)s")
                % {"goals": "、".join(ownerless)},
                field="goals",
            )
    updated = Plan.objects.filter(pk=plan.pk, state=plan.state).update(state=to, updated_at=now())
    if not updated:
        raise BadTransition(_("Someone changed the plan's state first; reload it."), field="state")
    plan.refresh_from_db()
    return plan


# --------------------------------------------------------------------------- goals


def check_goal(plan: Plan, spec: GoalSpec) -> list[str]:
    """The SMART check. Raises on what is refused; returns the warnings (wrong side of the baseline)."""
    if spec.metric:
        try:
            metric = metrics.get(spec.metric)
        except metrics.MetricError:
            raise UnknownMetric(_("Unknown metric %(key)s.") % {"key": spec.metric}, field="metric") from None
        direction = metric.direction
        for dim in {**progress.scope_filters(plan), **spec.filters}:
            if dim not in metric.dimensions:
                raise UnknownScope(
                    _("%(metric)s cannot be narrowed to a %(dim)s.") % {"metric": metric.name, "dim": dim},
                    field="filters",
                )
    else:
        direction = spec.direction
        if direction not in ("higher", "lower"):
            raise UnknownMetric(
                _("A goal measured by hand says whether higher or lower is better."), field="direction"
            )
    for dim, values in spec.filters.items():
        _check_filter(dim, values)
    if spec.direction and spec.direction != direction:
        raise ValidationFailed(_("The direction of a goal is its metric's."), field="direction")
    spec.direction = direction
    deadline = spec.deadline or plan.end
    if not plan.start <= deadline <= plan.end:
        raise DeadlineOutsidePeriod(
            _("The deadline %(d)s is outside the plan's period %(p)s.")
            % {"d": deadline.isoformat(), "p": plan.period_label},
            field="deadline",
        )
    spec.deadline = deadline
    if spec.weight < 1 or spec.weight > 100:
        raise ValidationFailed(_("A weight is between 1 and 100."), field="weight")
    warnings = []
    if spec.baseline is not None and not progress.meets(spec.target, spec.baseline, direction):
        warnings.append(
            _("The target %(t)s is on the wrong side of the baseline %(b)s: %(dir)s is better.")
            % {
                "t": _num(spec.target),
                "b": _num(spec.baseline),
                "dir": _("higher") if direction == "higher" else _("lower"),
            }
        )
    return warnings


def _num(x: float) -> str:
    return f"{x:g}"


def _check_filter(dim: str, values: list[str]) -> None:
    if dim not in GOAL_DIMENSIONS or not values:
        raise UnknownScope(
            _("A goal can be narrowed to a team, channel, category, tier or person."), field="filters"
        )
    values = [str(v) for v in values]
    ids = [int(v) for v in values if v.isdigit()]
    known: set[str]
    if dim == "team":
        known = {str(pk) for pk in Team.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    elif dim == "category":
        known = {str(pk) for pk in Category.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    elif dim == "agent":
        known = {str(u.pk) for u in User.objects.filter(pk__in=ids) if u.is_agent}
    elif dim == "channel":
        known = set(Channel.values)
    else:
        known = set(Tier.values)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise UnknownScope(
            _("No such %(dim)s: %(values)s.") % {"dim": dim, "values": ", ".join(unknown)}, field="filters"
        )


def baseline_for(plan: Plan, key: str, filters: dict[str, list[str]] | None) -> float | None:
    """The metric over the period before the plan's (same kind of period), for the same scope."""
    before = periods.previous(periods.Period(plan.start, plan.end, plan.period_label))
    try:
        return progress.period_value(key, plan, before.start, before.end, filters)
    except metrics.MetricError:
        return None


@transaction.atomic
def add_goal(plan: Plan, *, spec: GoalSpec, by: User) -> tuple[Goal, list[str]]:
    _require_manager(by, plan)
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan cannot be changed."))
    if not spec.title.strip():
        raise ValidationFailed(_("A goal needs a title."), field="title")
    if spec.metric and spec.baseline is None and progress.available(spec.metric):
        spec.baseline = baseline_for(plan, spec.metric, spec.filters)
    warnings = check_goal(plan, spec)
    unit = spec.unit
    if spec.metric:
        unit = metrics.get(spec.metric).unit
    goal = Goal.objects.create(
        plan=plan,
        position=plan.goals.count(),
        title=spec.title.strip()[:200],
        metric=spec.metric,
        unit=unit,
        filters={k: [str(v) for v in vs] for k, vs in spec.filters.items()},
        baseline=spec.baseline,
        target=spec.target,
        direction=spec.direction,
        deadline=spec.deadline,
        core=spec.core,
        weight=spec.weight,
        owner=spec.owner,
    )
    return goal, warnings


@transaction.atomic
def update_goal(goal: Goal, *, by: User, **changes: Any) -> tuple[Goal, list[str]]:
    """Change target, baseline, deadline, owner, weight, core, title (the SMART check runs again)."""
    plan = goal.plan
    _require_manager(by, plan)
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan cannot be changed."))
    spec = GoalSpec(
        title=changes.get("title", goal.title),
        target=changes.get("target", goal.target),
        metric=goal.metric,
        baseline=changes.get("baseline", goal.baseline),
        direction=goal.direction,
        unit=goal.unit,
        filters=goal.filters,
        deadline=changes.get("deadline", goal.deadline),
        core=changes.get("core", goal.core),
        weight=changes.get("weight", goal.weight),
        owner=changes.get("owner", goal.owner),
    )
    warnings = check_goal(plan, spec)
    for name in ("title", "target", "baseline", "deadline", "core", "weight", "owner"):
        setattr(goal, name, getattr(spec, name))
    goal.save()
    return goal, warnings


@transaction.atomic
def record_manual_value(goal: Goal, *, value: float, evidence: str, by: User) -> Goal:
    _require_manager(by, goal.plan)
    if goal.metric:
        raise ValidationFailed(_("This goal is measured from the data."), field="value")
    if not evidence.strip():
        raise ValidationFailed(_("Say where the figure comes from."), field="evidence")
    goal.manual_value = value
    goal.manual_evidence = evidence.strip()[:500]
    goal.save(update_fields=["manual_value", "manual_evidence"])
    return goal


@transaction.atomic
def delete_goal(goal: Goal, *, by: User) -> None:
    _require_manager(by, goal.plan)
    if goal.plan.state != PlanState.DRAFT:
        raise BadTransition(_("Goals are removed only while the plan is a draft."))
    goal.delete()


# --------------------------------------------------------------------------- findings


@transaction.atomic
def edit_finding(finding: Finding, *, text: str, by: User) -> Finding:
    _require_manager(by, finding.plan)
    if not text.strip():
        raise ValidationFailed(_("A finding needs its sentence."), field="text")
    finding.text = text.strip()
    finding.state = FindingState.KEPT if finding.text == finding.original_text else FindingState.EDITED
    finding.save(update_fields=["text", "state"])
    return finding


@transaction.atomic
def delete_finding(finding: Finding, *, by: User) -> Finding:
    _require_manager(by, finding.plan)
    finding.state = FindingState.DELETED
    finding.save(update_fields=["state"])
    return finding


@transaction.atomic
def restore_finding(finding: Finding, *, by: User) -> Finding:
    _require_manager(by, finding.plan)
    finding.state = FindingState.KEPT if finding.text == finding.original_text else FindingState.EDITED
    finding.save(update_fields=["state"])
    return finding
