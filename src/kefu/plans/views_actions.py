"""The actions and suggestions sections of a plan's page (forms posting here, back to the page).

What the sections show is built by `section_context` (used by the template tags in
templatetags/plan_actions.py, so the plan page only includes them). Keyboard: plain forms in
reading order, every field labelled; no script needed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core import metrics
from kefu.core.errors import DomainError
from kefu.tickets.models import Category

from . import actions, pilots, recurring, selectors, suggestions
from .errors import ValidationFailed
from .models import Action, ActionKind, ActionStatus, PilotDimension, Plan, SuggestionStatus

STAFF_ROLES = ("agent", "senior_agent", "supervisor", "admin")


def _plan(request: HttpRequest, pk: int) -> Plan:
    if not selectors.can_read(request.user):
        raise Http404()
    try:
        return selectors.access_plan(request.user, pk)
    except DomainError:
        raise Http404() from None


def _back(plan: Plan, anchor: str) -> HttpResponse:
    return redirect(reverse("plans:detail", args=[plan.pk]) + f"#{anchor}")


def _run(request: HttpRequest, plan: Plan, anchor: str, fn: Any, ok: str) -> HttpResponse:
    try:
        fn()
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, ok)
    return _back(plan, anchor)


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("Dates are written as YYYY-MM-DD."), field=field) from None


def _user(value: str) -> User | None:
    return User.objects.filter(pk=int(value), is_active=True).first() if value.isdigit() else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


# --------------------------------------------------------------------------- what the page shows


def section_context(plan: Plan, user: Any) -> dict[str, Any]:
    today = actions.today()
    rows = list(actions.plan_actions(plan).filter(parent__isnull=True)[:300])
    occurrences = list(
        actions.plan_actions(plan)
        .filter(parent__isnull=False, due__lte=today + timedelta(days=recurring.HORIZON_DAYS))
        .exclude(status__in=(ActionStatus.DONE, ActionStatus.CANCELLED))
        .order_by("occurs_at")[:300]
    )
    by_parent: dict[int, list[Action]] = {}
    for occ in occurrences:
        by_parent.setdefault(occ.parent_id or 0, []).append(occ)
    items = []
    for action in rows:
        pending = by_parent.get(action.pk, [])
        items.append(
            {
                "action": action,
                "overdue": not action.rule and actions.is_overdue(action, today),
                "can_work": actions.can_work(user, action),
                "rule_text": recurring.describe(action.rule) if action.rule else "",
                "pending": pending[:6],
                "late": sum(1 for o in pending if o.due < today),
                "pilot": pilots.compare(action, on=today),
            }
        )
    rollups = actions.goal_rollups(plan)
    goals = [(goal, rollups.get(goal.pk)) for goal in plan.goals.all()]
    manage = selectors.can_manage(user, plan)
    open_plan = plan.state != "closed"
    pilot_metrics = [m for m in metrics.all_metrics() if {"team", "category"} & set(m.dimensions)]
    return {
        "plan": plan,
        "items": items,
        "rollup": actions.plan_rollup(plan),
        "goal_rollups": goals,
        "overdue_count": sum(1 for i in items if i["overdue"]) + sum(i["late"] for i in items),
        "can_manage": manage and open_plan,
        "can_read": selectors.can_read(user),
        "open_plan": open_plan,
        "kinds": ActionKind.choices,
        "statuses": ActionStatus.choices,
        "dimensions": PilotDimension.choices,
        "owners": User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("username"),
        "teams": Team.objects.order_by("name"),
        "categories": Category.objects.order_by("name")[:200],
        "pilot_metrics": pilot_metrics,
        "today": today,
        "suggestions": list(suggestions.plan_suggestions(plan)[:200]),
        "SuggestionStatus": SuggestionStatus,
    }


# --------------------------------------------------------------------------- actions


@require_POST
def add_action(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    post = request.POST

    def run() -> Action:
        start = _day(post.get("start", ""), "start") or max(plan.start, min(actions.today(), plan.end))
        dim = post.get("pilot_dimension", "")
        values = post.getlist("pilot_teams") if dim == "team" else post.getlist("pilot_categories")
        spec = actions.ActionSpec(
            title=post.get("title", ""),
            kind=post.get("kind", ""),
            owner=_user(post.get("owner", "")),
            start=start,
            due=_day(post.get("due", ""), "due") or plan.end,
            goals=_ids(post.getlist("goals")),
            checklist=_lines(post.get("checklist", "")),
            evidence=_lines(post.get("evidence", "")),
            resources=post.get("resources", ""),
            rule=post.get("rule", ""),
            pilot_dimension=dim,
            pilot_values=values if dim else [],
            pilot_metrics=post.getlist("pilot_metrics") if dim else [],
        )
        return actions.create_action(plan, spec=spec, by=request.user)  # type: ignore[arg-type]

    return _run(request, plan, "actions", run, _("Action added."))


@require_POST
def work_action(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    plan = _plan(request, pk)
    found = actions.plan_actions(plan).filter(pk=action).first()
    if found is None:
        raise Http404()
    post = request.POST
    user: Any = request.user

    def run() -> object:
        what = post.get("do", "")
        if what == "status":
            return actions.update_action(found, by=user, status=post.get("status", ""))
        if what == "checklist":
            ticked = set(_ids(post.getlist("done")))
            for item in found.checklist.all():
                if item.done != (item.pk in ticked):
                    actions.tick(item, done=item.pk in ticked, by=user)
            return found
        if what == "item":
            return actions.add_checklist_item(found, text=post.get("text", ""), by=user)
        if what == "evidence":
            link = post.get("link", "").strip()
            return actions.update_action(found, by=user, evidence=[*found.evidence, link])
        raise ValidationFailed(_("Unknown request."))

    return _run(request, plan, f"action-{found.parent_id or found.pk}", run, _("Action saved."))


# --------------------------------------------------------------------------- suggestions


@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    post = request.POST
    return _run(
        request,
        plan,
        "suggestions",
        lambda: suggestions.propose(
            plan, title=post.get("title", ""), body=post.get("body", ""), by=request.user
        ),
        _("Thank you: your suggestion goes to the plan's owner."),
    )


@require_POST
def decide(request: HttpRequest, pk: int, suggestion: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        found = suggestions.access_suggestion(request.user, plan, suggestion)  # type: ignore[arg-type]
    except DomainError:
        raise Http404() from None
    post = request.POST
    user: Any = request.user

    def run() -> object:
        what = post.get("do", "")
        if what == "accept":
            return suggestions.accept(
                found,
                by=user,
                owner=_user(post.get("owner", "")),
                kind=post.get("kind", "process"),
                due=_day(post.get("due", ""), "due"),
            )
        if what == "decline":
            return suggestions.decline(found, reason=post.get("reason", ""), by=user)
        if what == "reward":
            return suggestions.reward(
                found, text=post.get("reward", ""), amount=post.get("amount", ""), by=user
            )
        raise ValidationFailed(_("Unknown request."))

    return _run(request, plan, "suggestions", run, _("Suggestion saved."))
