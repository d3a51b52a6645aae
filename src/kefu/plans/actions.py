"""A plan's measures and actions (措施与行动): owner, dates, status, linked goals, checklist,
evidence links and resources; recurring actions (recurring.py) and pilots (pilots.py) are actions
too. Overdue = not done or cancelled and due before today. Progress rolls up per goal (the share of
its linked actions done) and per plan (the share of all its actions done); a recurring action's
pattern does not count, its occurrences do, and cancelled actions count for nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import metrics
from kefu.core.clock import now
from kefu.tickets.models import Category

from . import progress, selectors
from .errors import BadTransition, Conflict, PermissionDenied, UnknownMetric, UnknownScope, ValidationFailed
from .models import Action, ActionKind, ActionStatus, ChecklistItem, Goal, PilotDimension, Plan
from .states import PlanState

OPEN = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
MAX_CHECKLIST = 50
MAX_EVIDENCE = 20


@dataclass
class ActionSpec:
    title: str
    kind: str
    owner: User | None
    start: date
    due: date
    goals: list[int] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    resources: str = ""
    rule: str = ""
    pilot_dimension: str = ""
    pilot_values: list[str] = field(default_factory=list)
    pilot_metrics: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- who


def can_work(user: Any, action: Action) -> bool:
    """The plan's managers and the action's owner change an action's status, checklist, evidence."""
    return selectors.can_manage(user, action.plan) or (
        selectors.can_read(user) and action.owner_id == getattr(user, "pk", None)
    )


def _require_manager(by: User, plan: Plan) -> None:
    if not selectors.can_manage(by, plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor may change it."))
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan cannot be changed."))


# --------------------------------------------------------------------------- checks


def _check(plan: Plan, spec: ActionSpec) -> list[Goal]:
    if not spec.title.strip():
        raise ValidationFailed(_("An action needs a title."), field="title")
    if spec.kind not in ActionKind.values:
        raise ValidationFailed(_("Unknown kind of action."), field="kind")
    if spec.owner is None or not spec.owner.is_agent or not spec.owner.is_active:
        raise ValidationFailed(_("An action needs an owner from the staff."), field="owner")
    if spec.due < spec.start:
        raise ValidationFailed(_("The due date is before the start."), field="due")
    if not (plan.start <= spec.start and spec.due <= plan.end):
        raise ValidationFailed(
            _("An action runs inside the plan's period %(p)s.") % {"p": plan.period_label}, field="due"
        )
    goals = list(plan.goals.filter(pk__in=spec.goals))
    if len(goals) != len(set(spec.goals)):
        raise ValidationFailed(_("Link goals of this plan only."), field="goals")
    if len(spec.checklist) > MAX_CHECKLIST:
        raise ValidationFailed(_("At most 50 checklist items."), field="checklist")
    _check_evidence(spec.evidence)
    _check_pilot(plan, spec)
    return goals


def _check_evidence(links: list[str]) -> None:
    if len(links) > MAX_EVIDENCE:
        raise ValidationFailed(_("At most 20 evidence links."), field="evidence")
    for link in links:
        if not (link.startswith(("https://", "http://", "/")) and len(link) <= 500 and " " not in link):
            raise ValidationFailed(
                _("An evidence link is a web address (https://…) or a page of kefu (/…)."), field="evidence"
            )


def _check_pilot(plan: Plan, spec: ActionSpec) -> None:
    if not spec.pilot_dimension:
        if spec.pilot_values or spec.pilot_metrics:
            raise UnknownScope(
                _("Say whether the pilot runs on teams or categories."), field="pilot_dimension"
            )
        return
    dim = spec.pilot_dimension
    if dim not in PilotDimension.values:
        raise UnknownScope(_("A pilot runs on a team or a category."), field="pilot_dimension")
    values = [str(v) for v in spec.pilot_values]
    ids = [int(v) for v in values if v.isdigit()]
    model = Category if dim == PilotDimension.CATEGORY else _team_model()
    known = {str(pk) for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    if not values or set(values) - known:
        raise UnknownScope(_("Choose the teams or categories the pilot runs on."), field="pilot_values")
    if not spec.pilot_metrics:
        raise UnknownMetric(_("Choose the metrics the pilot is measured by."), field="pilot_metrics")
    for key in spec.pilot_metrics:
        try:
            metric = metrics.get(key)
        except metrics.MetricError:
            raise UnknownMetric(_("Unknown metric %(key)s.") % {"key": key}, field="pilot_metrics") from None
        if dim not in metric.dimensions:
            raise UnknownScope(
                _("%(metric)s cannot be compared by %(dim)s.") % {"metric": metric.name, "dim": dim},
                field="pilot_metrics",
            )
    for other in progress.scope_filters(plan):
        if other != dim and other not in metrics.get(spec.pilot_metrics[0]).dimensions:
            raise UnknownScope(_("The metric cannot be narrowed to the plan's scope."), field="pilot_metrics")


def _team_model() -> Any:
    from kefu.accounts.models import Team

    return Team


# --------------------------------------------------------------------------- use cases


@transaction.atomic
def create_action(plan: Plan, *, spec: ActionSpec, by: User) -> Action:
    """Add an action; a recurring one (spec.rule) gets its occurrences up to tomorrow at once."""
    from . import recurring

    _require_manager(by, plan)
    goals = _check(plan, spec)
    rule = spec.rule.strip()
    if rule:
        recurring.check_rule(rule, plan=plan, start=spec.start, due=spec.due)
    stamp = now()
    action = Action.objects.create(
        plan=plan,
        title=spec.title.strip()[:200],
        kind=spec.kind,
        owner=spec.owner,
        start=spec.start,
        due=spec.due,
        resources=spec.resources.strip(),
        evidence=list(spec.evidence),
        rule=rule,
        pilot_dimension=spec.pilot_dimension,
        pilot_values=[str(v) for v in spec.pilot_values],
        pilot_metrics=list(spec.pilot_metrics),
        created_at=stamp,
        updated_at=stamp,
    )
    action.goals.set(goals)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(action=action, position=i, text=text.strip()[:200])
        for i, text in enumerate(t for t in spec.checklist if t.strip())
    )
    if rule:
        recurring.generate_for(action)
    return action


@transaction.atomic
def update_action(action: Action, *, by: User, version: int | None = None, **changes: Any) -> Action:
    """Change status, evidence (the owner may) or title, dates, owner, goals, resources (managers).

    With `version`, a change made by someone else since is refused (409) instead of overwritten."""
    plan = action.plan
    if not can_work(by, action):
        raise PermissionDenied(_("Only the action's owner, the plan's owner or a supervisor may change it."))
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan cannot be changed."))
    managed = {"title", "kind", "owner", "start", "due", "goals", "resources"}
    if managed & changes.keys():
        _require_manager(by, plan)
    unknown = set(changes) - managed - {"status", "evidence"}
    if unknown:
        raise ValidationFailed(_("These cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "status" in changes and changes["status"] not in ActionStatus.values:
        raise ValidationFailed(_("Unknown status."), field="status")
    spec = ActionSpec(
        title=changes.get("title", action.title),
        kind=changes.get("kind", action.kind),
        owner=changes.get("owner", action.owner),
        start=changes.get("start", action.start),
        due=changes.get("due", action.due),
        goals=changes.get("goals", [g.pk for g in action.goals.all()]),
        evidence=changes.get("evidence", action.evidence),
        resources=changes.get("resources", action.resources),
        pilot_dimension=action.pilot_dimension,
        pilot_values=action.pilot_values,
        pilot_metrics=action.pilot_metrics,
    )
    goals = _check(plan, spec)
    current = action.version if version is None else version
    fields = {
        "title": spec.title.strip()[:200],
        "kind": spec.kind,
        "owner": spec.owner,
        "start": spec.start,
        "due": spec.due,
        "evidence": list(spec.evidence),
        "resources": spec.resources.strip(),
        "status": changes.get("status", action.status),
    }
    updated = Action.objects.filter(pk=action.pk, version=current).update(
        **fields, version=current + 1, updated_at=now()
    )
    if not updated:
        raise Conflict(
            _("Someone changed this action first; reload it."), code="stale_version", field="version"
        )
    if "goals" in changes:
        action.goals.set(goals)
    action.refresh_from_db()
    return action


@transaction.atomic
def add_checklist_item(action: Action, *, text: str, by: User) -> ChecklistItem:
    if not can_work(by, action):
        raise PermissionDenied(_("Only the action's owner, the plan's owner or a supervisor may change it."))
    if not text.strip():
        raise ValidationFailed(_("A checklist item needs its text."), field="text")
    if action.checklist.count() >= MAX_CHECKLIST:
        raise ValidationFailed(_("At most 50 checklist items."), field="checklist")
    return ChecklistItem.objects.create(
        action=action, position=action.checklist.count(), text=text.strip()[:200]
    )


@transaction.atomic
def tick(item: ChecklistItem, *, done: bool, by: User) -> ChecklistItem:
    if not can_work(by, item.action):
        raise PermissionDenied(_("Only the action's owner, the plan's owner or a supervisor may change it."))
    ChecklistItem.objects.filter(pk=item.pk).update(done=done)
    item.done = done
    return item


# --------------------------------------------------------------------------- reads


def today() -> date:
    return progress.today()


def plan_actions(plan: Plan) -> QuerySet[Action]:
    """The plan's actions for a page or the API: owner, goals and checklist in three queries."""
    return (
        Action.objects.filter(plan=plan)
        .select_related("owner", "parent")
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("position", "pk")),
            Prefetch("checklist", queryset=ChecklistItem.objects.order_by("position", "pk")),
        )
        .order_by("due", "occurs_at", "pk")
    )


def is_overdue(action: Action, on: date | None = None) -> bool:
    return action.status in OPEN and action.due < (on or today())


def overdue(queryset: QuerySet[Action], on: date | None = None) -> QuerySet[Action]:
    return queryset.filter(status__in=OPEN, due__lt=on or today()).exclude(rule__gt="")


def overdue_counts(plan_ids: list[int], on: date | None = None) -> dict[int, int]:
    """Overdue actions per plan, one query (the plans list's badge)."""
    rows = (
        overdue(Action.objects.filter(plan_id__in=plan_ids), on)
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "n")
    )
    return dict(rows)


@dataclass
class Rollup:
    done: int
    total: int

    @property
    def share(self) -> float | None:
        return round(self.done / self.total * 100, 1) if self.total else None


def _counted(queryset: QuerySet[Action]) -> QuerySet[Action]:
    return queryset.exclude(status=ActionStatus.CANCELLED).exclude(rule__gt="")


def plan_rollup(plan: Plan) -> Rollup:
    row = _counted(Action.objects.filter(plan=plan)).aggregate(
        done=Count("pk", filter=Q(status=ActionStatus.DONE)), total=Count("pk")
    )
    return Rollup(row["done"], row["total"])


def goal_rollups(plan: Plan) -> dict[int, Rollup]:
    """goal id → the share of its linked actions done (one query)."""
    rows = (
        _counted(Action.objects.filter(plan=plan))
        .filter(goals__isnull=False)
        .values("goals")
        .annotate(done=Count("pk", filter=Q(status=ActionStatus.DONE)), total=Count("pk"))
        .values_list("goals", "done", "total")
    )
    return {goal: Rollup(done, total) for goal, done, total in rows}
