"""Agent pages of work plans: the list with goal health at a glance, a plan's page (sections,
findings, goals with progress, forecast and status), create from a template.

Keyboard: every control is a link, button or form field in reading order; the first field of a
form has the focus; the goal charts carry their numbers in a table too."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.tickets.models import Channel

from . import blocks, blueprints, own_templates, progress, selectors, services
from .models import SECTIONS, FindingState, ScopeKind
from .states import TRANSITIONS


def _staff(request: HttpRequest) -> None:
    if not selectors.can_read(request.user):
        raise Http404()


def _plan(request: HttpRequest, pk: int):
    try:
        return selectors.access_plan(request.user, pk)
    except DomainError:
        raise Http404() from None


def plan_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    plans = list(selectors.list_plans(request.user)[:100])
    for plan in plans:
        health = {"on_track": 0, "at_risk": 0, "off_track": 0, "other": 0}
        for goal in plan.goals.all():
            state = progress.goal_progress(goal).status
            health[state if state in health else "other"] += 1
        plan.health = health
    return render(
        request,
        "plans/list.html",
        {"plans": plans, "can_create": selectors.can_read(request.user), "templates": blueprints.BLUEPRINTS},
    )


def create(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    form = {"template": "after-sales-quarterly", "period": "", "title": "", "scope_kind": ScopeKind.SERVICE}
    if request.method == "POST":
        form.update(
            {
                k: request.POST.get(k, "")
                for k in ("template", "period", "title", "scope_kind", "team", "channel")
            }
        )
        team = (
            Team.objects.filter(pk=int(form["team"])).first() if str(form.get("team", "")).isdigit() else None
        )
        try:
            plan, warnings = blueprints.create_from_template(
                form["template"],
                period=form["period"],
                by=user,  # type: ignore[arg-type]  # staff: checked by _staff
                title=form["title"],
                scope_kind=form["scope_kind"] or ScopeKind.SERVICE,
                scope_team=team,
                scope_channel=form.get("channel", ""),
                scope_person=user if form["scope_kind"] == ScopeKind.PERSON else None,  # type: ignore[arg-type]
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            for w in warnings:
                messages.warning(request, w)
            messages.success(request, _("Draft plan created; the review is pre-filled from the data."))
            return redirect("plans:detail", pk=plan.pk)
    return render(
        request,
        "plans/create.html",
        {
            "form": form,
            "templates": blueprints.BLUEPRINTS,
            "own_templates": own_templates.saved(),
            "scopes": ScopeKind.choices,
            "teams": Team.objects.all(),
            "channels": Channel.choices,
            "is_manager": selectors.is_manager(user),
        },
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    goals = []
    for goal in plan.goals.all():
        state = progress.goal_progress(goal)
        goals.append((goal, state))
    sections = []
    live_charts: dict = {}
    for name, label in SECTIONS:
        shown, found = blocks.render_html(plan, getattr(plan, name), request.user, prefix=f"live-{name}")
        live_charts.update(found)
        sections.append((name, label, getattr(plan, name), shown))
    charts = {
        f"chart-goal-{goal.pk}": {
            "x": state.days + _rest(plan, state.days),
            "values": state.values,
            "trend": state.trend,
            "target": goal.target,
            "low": state.low,
            "high": state.high,
            "labels": {"value": _("Actual"), "trend": _("Trend"), "target": _("Target")},
        }
        for goal, state in goals
        if state.has_series
    }
    charts.update(live_charts)
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "goals": goals,
            "sections": sections,
            "findings": plan.findings.all(),
            "can_manage": selectors.can_manage(request.user, plan),
            "next_states": sorted(TRANSITIONS[plan.state]),
            "charts": charts,
            "method": progress.FORECAST_METHOD,
            "owners": User.objects.filter(
                is_active=True, role__in=["agent", "senior_agent", "supervisor", "admin"]
            ),
            "FindingState": FindingState,
            "evaluations": plan.evaluations.all(),
        },
    )


def _rest(plan, days: list[str]) -> list[str]:
    from datetime import timedelta

    if not days:
        return []
    last = date.fromisoformat(days[-1])
    return [(last + timedelta(days=i)).isoformat() for i in range(1, (plan.end - last).days + 1)]


def _done(request: HttpRequest, pk: int, fn, ok: str) -> HttpResponse:
    try:
        result = fn()
    except DomainError as err:
        messages.error(request, err.message)
    else:
        if isinstance(result, tuple):
            for w in result[1]:
                messages.warning(request, w)
        messages.success(request, ok)
    return redirect("plans:detail", pk=pk)


@require_POST
def save_sections(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    sections = {name: request.POST[name] for name, _label in SECTIONS if name in request.POST}
    return _done(
        request, pk, lambda: services.update_sections(plan, sections=sections, by=request.user), _("Saved.")
    )


@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    to = request.POST.get("to", "")
    return _done(request, pk, lambda: services.move_plan(plan, to=to, by=request.user), _("State changed."))


def _float(value: str, field: str) -> float | None:
    if value in ("", None):
        return None
    try:
        return float(value)
    except ValueError:
        raise services.ValidationFailed(_("Write a number."), field=field) from None


def _owner(value: str) -> User | None:
    return User.objects.filter(pk=int(value)).first() if value.isdigit() else None


@require_POST
def add_goal(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    post = request.POST

    def run():
        target = _float(post.get("target", ""), "target")
        if target is None:
            raise services.ValidationFailed(_("A goal needs a target."), field="target")
        deadline = date.fromisoformat(post["deadline"]) if post.get("deadline") else None
        spec = services.GoalSpec(
            title=post.get("title", ""),
            target=target,
            deadline=deadline,
            metric=post.get("metric", ""),
            baseline=_float(post.get("baseline", ""), "baseline"),
            direction=post.get("direction", "") if not post.get("metric") else "",
            core=post.get("core") == "1",
            weight=int(post.get("weight") or 1),
            owner=_owner(post.get("owner", "")),
        )
        return services.add_goal(plan, spec=spec, by=request.user)

    return _done(request, pk, run, _("Goal added."))


@require_POST
def edit_goal(request: HttpRequest, pk: int, goal: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    found = plan.goals.filter(pk=goal).first()
    if found is None:
        raise Http404()
    post = request.POST

    def run():
        if post.get("action") == "delete":
            services.delete_goal(found, by=request.user)
            return None
        if post.get("action") == "manual":
            return services.record_manual_value(
                found,
                value=_float(post.get("value", ""), "value") or 0.0,
                evidence=post.get("evidence", ""),
                by=request.user,
            )
        changes = {"owner": _owner(post.get("owner", ""))}
        if post.get("target"):
            changes["target"] = _float(post["target"], "target")
        return services.update_goal(found, by=request.user, **changes)

    return _done(request, pk, run, _("Goal saved."))


@require_POST
def work_finding(request: HttpRequest, pk: int, finding: int) -> HttpResponse:
    _staff(request)
    plan = _plan(request, pk)
    found = plan.findings.filter(pk=finding).first()
    if found is None:
        raise Http404()
    action = request.POST.get("action", "")
    if action == "delete":
        fn = lambda: services.delete_finding(found, by=request.user)  # noqa: E731
    elif action == "restore":
        fn = lambda: services.restore_finding(found, by=request.user)  # noqa: E731
    else:
        fn = lambda: services.edit_finding(found, text=request.POST.get("text", ""), by=request.user)  # noqa: E731
    return _done(request, pk, fn, _("Finding saved."))
