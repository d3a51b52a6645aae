"""Evaluations of a plan: the monthly check-in and the end-of-period review, written from the data.

An evaluation holds a snapshot of what the data said when it was (re)generated — each goal's result
over the evaluated period (met / missed once the period is over, in progress before) with its figure
and daily series, the actions done and late, and what moved in the headline KPIs against the period
before — plus the author's conclusions. The plan's owner signs it off; after that it is read-only.

A closed plan seeds the next period's plan (once): same kind, scope, owner and sections, the goals
carried over with the closed period's results as their new baselines.

The quarterly before/after comparison (`compare_quarters`) puts this quarter's figures beside the
previous quarter's, for the plan's scope and the same metrics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import metrics
from kefu.core.clock import now

from . import periods, progress, review, selectors, services
from .errors import BadTransition, Conflict, NotFound, PermissionDenied, ValidationFailed
from .models import Evaluation, EvaluationKind, Goal, Plan, PlanSuccession
from .states import PlanState

# The KPIs an evaluation compares against the period before (the review's headline and quality).
KPIS: tuple[str, ...] = (*review.HEADLINE, *review.QUALITY)


def result_label(code: str) -> str:
    labels = {
        "met": _("Met"),
        "missed": _("Missed"),
        "in_progress": _("In progress"),
        "no_data": _("No data yet"),
        "unavailable": _("Not available yet"),
    }
    return str(labels.get(code, code))


# --------------------------------------------------------------------------- reading the data


def _value(metric: metrics.Metric, points: list[metrics.Point]) -> float | None:
    if metric.aggregate == "stock":
        return points[-1].value if points else None
    num = sum(p.num for p in points)
    den = sum(p.den for p in points)
    if metric.aggregate == "count":
        return num
    return metric.value(num, den)


def goal_result(goal: Goal, start: date, end: date, *, on: date | None = None) -> dict[str, Any]:
    """A goal over start..end (cut at today): its value, result and daily series."""
    plan = goal.plan
    on = on or progress.today()
    last = min(end, on)
    row: dict[str, Any] = {
        "id": goal.pk,
        "title": goal.title,
        "metric": goal.metric,
        "unit": goal.unit,
        "baseline": goal.baseline,
        "target": goal.target,
        "direction": goal.direction,
        "core": goal.core,
        "value": None,
        "figure": "—",
        "result": "no_data",
        "days": [],
        "values": [],
    }
    if last < start:
        return row
    if not goal.metric:
        value = goal.manual_value
    else:
        try:
            metric = metrics.get(goal.metric)
            series = metrics.compute(
                goal.metric,
                start=start,
                end=last,
                grain="day",
                filters=progress.goal_filters(plan, goal.filters),
            )
        except metrics.MetricError:
            row["result"] = "unavailable"
            return row
        value = _value(metric, series.points)
        by_day = {p.bucket: p.value for p in series.points}
        days = [start + timedelta(days=i) for i in range((last - start).days + 1)]
        zero = 0.0 if metric.aggregate == "count" else None
        row["days"] = [d.isoformat() for d in days]
        row["values"] = [_round(by_day.get(d, zero)) for d in days]
    row["value"] = _round(value)
    row["figure"] = review.fmt(value, goal.unit)
    if value is None:
        row["result"] = "no_data"
    elif progress.meets(value, goal.target, goal.direction):
        row["result"] = "met"
    elif on > end:
        row["result"] = "missed"
    else:
        row["result"] = "in_progress"
    return row


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def kpi_moves(plan: Plan, span: periods.Period) -> list[dict[str, Any]]:
    """The headline KPIs over `span` against the period before it, for the plan's scope."""
    before = periods.previous(span)
    scope = progress.scope_filters(plan)
    last = min(span.end, progress.today())
    out = []
    for key in KPIS:
        try:
            metric = metrics.get(key)
            value = metrics.total(key, start=span.start, end=last, filters=scope)
            prior = metrics.total(key, start=before.start, end=before.end, filters=scope)
        except metrics.MetricError:
            continue
        if value is None and prior is None:
            continue
        out.append(
            {
                "metric": key,
                "name": str(metric.name),
                "unit": metric.unit,
                "direction": metric.direction,
                "value": _round(value),
                "previous": _round(prior),
                "figure": review.fmt(value, metric.unit),
                "previous_figure": review.fmt(prior, metric.unit),
                "change": review.change_words(metric, value, prior) if value is not None else "—",
                "verdict": _verdict(metric.direction, value, prior),
            }
        )
    return out


def _verdict(direction: str, value: float | None, prior: float | None) -> str:
    if value is None or prior is None or abs(value - prior) < 1e-9:
        return "same"
    better = value > prior if direction == "higher" else value < prior
    return "better" if better else "worse"


def plan_actions(plan: Plan) -> list[Any] | None:
    """The plan's actions (one-off ones and occurrences, not the recurring patterns), or None while
    the plans app has no actions."""
    from . import models

    action = getattr(models, "Action", None)
    if action is None:
        return None
    rows = action.objects.filter(plan=plan).select_related("owner").order_by("due", "pk")
    if hasattr(action, "rule"):
        rows = rows.exclude(rule__gt="", parent__isnull=True)
    return list(rows)


def action_results(plan: Plan, start: date, end: date) -> dict[str, Any]:
    """Actions due in the period: done, and late (due passed and not done)."""
    rows = plan_actions(plan)
    if rows is None:
        return {"available": False, "done": [], "late": [], "open": 0}
    on = progress.today()
    done, late, still = [], [], 0
    for action in rows:
        if not start <= action.due <= end:
            continue
        item = {
            "title": action.title,
            "owner": action.owner.name if action.owner_id else "",
            "due": action.due.isoformat(),
            "status": action.status,
        }
        if action.status == "done":
            done.append(item)
        elif action.status == "cancelled":
            continue
        elif action.due < on:
            late.append(item)
        else:
            still += 1
    return {"available": True, "done": done, "late": late, "open": still}


def snapshot(plan: Plan, span: periods.Period) -> dict[str, Any]:
    before = periods.previous(span)
    return {
        "generated_at": now().isoformat(),
        "previous_label": before.label,
        "goals": [goal_result(goal, span.start, span.end) for goal in plan.goals.all()],
        "actions": action_results(plan, span.start, span.end),
        "kpis": kpi_moves(plan, span),
    }


# --------------------------------------------------------------------------- use cases


def _span(plan: Plan, kind: str, month: str) -> periods.Period:
    if kind == EvaluationKind.FINAL:
        return periods.Period(plan.start, plan.end, plan.period_label)
    if kind != EvaluationKind.MONTHLY:
        raise ValidationFailed(
            _("An evaluation is a monthly check-in or the end-of-period review."), field="kind"
        )
    if month:
        if not re.fullmatch(r"\d{4}-\d{1,2}", month.strip()):
            raise ValidationFailed(_("Write the month as 2026-10."), field="month")
        span = periods.parse(month)
    else:
        day = min(max(progress.today(), plan.start), plan.end)
        span = periods.month(day.year, day.month)
    if span.end < plan.start or span.start > plan.end:
        raise ValidationFailed(
            _("The month %(m)s is outside the plan's period %(p)s.")
            % {"m": span.label, "p": plan.period_label},
            field="month",
        )
    return span


@transaction.atomic
def evaluate(plan: Plan, *, kind: str, by: User, month: str = "") -> Evaluation:
    """Write (or rewrite, while not signed off) the evaluation of a month or of the whole period."""
    if not selectors.can_manage(by, plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor may evaluate it."))
    if plan.state == PlanState.DRAFT:
        raise BadTransition(_("A draft plan is evaluated once it is active."), field="state")
    span = _span(plan, kind, month)
    stamp = now()
    found = Evaluation.objects.filter(plan=plan, kind=kind, start=span.start).first()
    if found is not None:
        if found.signed:
            raise Conflict(_("This evaluation is signed off and read-only."), code="signed_off")
        found.snapshot = snapshot(plan, span)
        found.updated_at = stamp
        found.save(update_fields=["snapshot", "updated_at"])
        return found
    return Evaluation.objects.create(
        plan=plan,
        kind=kind,
        period_label=span.label,
        start=span.start,
        end=span.end,
        snapshot=snapshot(plan, span),
        created_by=by,
        created_at=stamp,
        updated_at=stamp,
    )


@transaction.atomic
def write_conclusions(evaluation: Evaluation, *, text: str, by: User) -> Evaluation:
    if not selectors.can_manage(by, evaluation.plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor may write the conclusions."))
    if len(text) > 20000:
        raise ValidationFailed(_("Conclusions are at most 20,000 characters."), field="conclusions")
    updated = Evaluation.objects.filter(pk=evaluation.pk, signed_at__isnull=True).update(
        conclusions=text.strip(), updated_at=now()
    )
    if not updated:
        raise Conflict(_("This evaluation is signed off and read-only."), code="signed_off")
    evaluation.refresh_from_db()
    return evaluation


@transaction.atomic
def sign_off(evaluation: Evaluation, *, by: User) -> Evaluation:
    """The plan's owner signs the evaluation off (who, when); it is read-only from then on."""
    plan = evaluation.plan
    if by.pk != plan.owner_id:
        raise PermissionDenied(
            _("Only the plan's owner (%(owner)s) may sign off its evaluations.") % {"owner": plan.owner.name},
            code="not_owner",
        )
    if not evaluation.conclusions.strip():
        raise ValidationFailed(_("Write the conclusions before signing off."), field="conclusions")
    stamp = now()
    updated = Evaluation.objects.filter(pk=evaluation.pk, signed_at__isnull=True).update(
        signed_by=by, signed_at=stamp, updated_at=stamp
    )
    if not updated:
        raise Conflict(_("This evaluation is already signed off."), code="signed_off")
    evaluation.refresh_from_db()
    return evaluation


def next_period(plan: Plan) -> periods.Period:
    span = periods.Period(plan.start, plan.end, plan.period_label)
    label = span.label
    if re.fullmatch(r"\d{4}", label):
        return periods.year(span.start.year + 1)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        y, q = int(m[1]), int(m[2])
        return periods.quarter(y + 1, 1) if q == 4 else periods.quarter(y, q + 1)
    if re.fullmatch(r"\d{4}-\d{2}", label):
        after = span.end + timedelta(days=1)
        return periods.month(after.year, after.month)
    first = span.end + timedelta(days=1)
    return periods.custom(first, first + timedelta(days=span.days - 1))


def _next_title(plan: Plan, label: str) -> str:
    if plan.period_label and plan.period_label in plan.title:
        return plan.title.replace(plan.period_label, label)
    return f"{plan.title} ({label})"[:200]


@transaction.atomic
def seed_next_plan(plan: Plan, *, by: User) -> tuple[Plan, list[str]]:
    """The next period's draft plan from a closed one; twice returns the plan seeded the first time."""
    if not selectors.can_manage(by, plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor may seed the next plan."))
    if plan.state != PlanState.CLOSED:
        raise BadTransition(_("Only a closed plan seeds the next period's plan."), field="state")
    link = PlanSuccession.objects.filter(previous=plan).select_related("next").first()
    if link is not None:
        return link.next, []
    span = next_period(plan)
    sections = {name: getattr(plan, name) for name in services.SECTION_FIELDS}
    successor = services.create_plan(
        title=_next_title(plan, span.label),
        kind=plan.kind,
        period=span.label,
        by=by,
        owner=plan.owner,
        scope_kind=plan.scope_kind,
        scope_team=plan.scope_team,
        scope_channel=plan.scope_channel,
        scope_person=plan.scope_person,
        sections=sections,
        template=plan.template,
    )
    successor.participants.set(plan.participants.all())
    warnings: list[str] = []
    for goal in plan.goals.all():
        result = goal_result(goal, plan.start, plan.end)
        baseline = result["value"] if result["value"] is not None else goal.baseline
        if goal.metric and not progress.available(goal.metric):
            Goal.objects.create(
                plan=successor,
                position=goal.position,
                title=goal.title,
                metric=goal.metric,
                unit=goal.unit,
                filters=goal.filters,
                baseline=baseline,
                target=goal.target,
                direction=goal.direction,
                deadline=successor.end,
                core=goal.core,
                weight=goal.weight,
                owner=goal.owner,
            )
            continue
        spec = services.GoalSpec(
            title=goal.title,
            target=goal.target,
            metric=goal.metric,
            baseline=baseline,
            direction="" if goal.metric else goal.direction,
            unit=goal.unit,
            filters=dict(goal.filters),
            core=goal.core,
            weight=goal.weight,
            owner=goal.owner,
        )
        _goal, found = services.add_goal(successor, spec=spec, by=by)
        warnings += found
    PlanSuccession.objects.create(previous=plan, next=successor, created_at=now())
    return successor, warnings


def access_evaluation(user: Any, plan: Plan, pk: int) -> Evaluation:
    found = plan.evaluations.select_related("signed_by", "created_by").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such evaluation."))
    return found


# --------------------------------------------------------------------------- quarter against quarter


@dataclass
class Comparison:
    this: periods.Period
    before: periods.Period
    rows: list[dict[str, Any]]


def compare_quarters(plan: Plan, *, on: date | None = None) -> Comparison:
    """This quarter (the one holding today, within the plan's period) against the previous one:
    the plan's goal metrics, then the headline KPIs, for the plan's scope."""
    day = min(max(on or progress.today(), plan.start), plan.end)
    this = periods.quarter(day.year, (day.month - 1) // 3 + 1)
    before = periods.previous(this)
    last = min(this.end, on or progress.today())
    scope = progress.scope_filters(plan)
    keys: list[str] = []
    for goal in plan.goals.all():
        if goal.metric and goal.metric not in keys:
            keys.append(goal.metric)
    keys += [k for k in KPIS if k not in keys]
    rows = []
    for key in keys:
        try:
            metric = metrics.get(key)
            value = metrics.total(key, start=this.start, end=max(last, this.start), filters=scope)
            prior = metrics.total(key, start=before.start, end=before.end, filters=scope)
        except metrics.MetricError:
            continue
        if value is None and prior is None:
            continue
        rows.append(
            {
                "metric": key,
                "name": str(metric.name),
                "figure": review.fmt(value, metric.unit),
                "previous_figure": review.fmt(prior, metric.unit),
                "change": review.change_words(metric, value, prior) if value is not None else "—",
                "verdict": _verdict(metric.direction, value, prior),
            }
        )
    return Comparison(this, before, rows)
