"""The dashboards at /agent/analytics/: the supervisor overview, a team's view and an agent's own view.

Thin: parse the period and filters, read the figures through `views_charts` (the metric registry),
render. Who sees what: supervisors and admins every page; an agent their own view and the views of
their teams; anybody else's view is the same 404 as a missing one. Every number links to the ticket
list behind it, which applies the reader's own access rules again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts.models import Role, Team, User
from kefu.core import extensions, metrics
from kefu.core.errors import PermissionDenied
from kefu.customers.models import Tier
from kefu.tickets.models import Category, Channel, Priority, TicketType

from . import selectors
from . import views_charts as charts
from . import views_query as query

# The headline figures of the overview and a team's view: the overview's own (analytics.selectors).
HEADLINE = selectors.HEADLINE
# An agent's figures against their team and the targets.
AGENT_FIGURES = (
    "tickets_solved",
    "tickets_per_agent_day",
    "first_response_minutes",
    "first_response_business_minutes",
    "next_response_minutes",
    "resolution_hours",
    "handling_minutes",
    "fcr_rate",
    "reopen_rate",
    "sla_compliance",
    "csat",
)
# The per-team and per-agent tables.
BREAKDOWN = ("tickets_created", "tickets_solved", "first_response_minutes", "resolution_hours", "fcr_rate")


# --------------------------------------------------------------------------- access


def can_see_all(user: Any) -> bool:
    """Supervisors and admins: every team's and every agent's figures (as the metrics API decides)."""
    return bool(user.is_authenticated and selectors.sees_all_figures(user))


def visible_teams(user: Any) -> QuerySet[Team]:
    if can_see_all(user):
        return Team.objects.order_by("name")
    if user.is_authenticated and user.is_agent:
        return Team.objects.filter(members=user).order_by("name")
    return Team.objects.none()


def access_team(user: Any, pk: int) -> Team:
    team = visible_teams(user).filter(pk=pk).first()
    if team is None:
        raise Http404()
    return team


def access_agent(user: Any, pk: int) -> User:
    """Oneself, or anybody for a supervisor; another agent's figures are the same 404 as nobody's."""
    if pk != user.pk and not can_see_all(user):
        raise Http404()
    agent = User.objects.filter(pk=pk, is_active=True).first()
    if agent is None or not agent.is_agent:
        raise Http404()
    return agent


def agents_only(view: Callable) -> Callable:
    """Anonymous → login; anyone but an agent (customers, department members) → 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_agent:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- the filter bar


def _filter_bar(
    request: HttpRequest, period: query.Period, filters: dict, *, teams: bool = True
) -> dict[str, Any]:
    english = request.LANGUAGE_CODE.startswith("en")
    categories = [
        (
            str(c.pk),
            f"{c.parent} / {c.name_en if english and c.name_en else c.name}" if c.parent_id else c.name,
        )
        for c in Category.objects.select_related("parent").order_by("parent_id", "name")
        if c.parent_id
    ]
    selects = [
        ("channel", _("Any channel"), Channel.choices),
        ("priority", _("Any priority"), Priority.choices),
        ("type", _("Any type"), TicketType.choices),
        ("tier", _("Any tier"), Tier.choices),
        ("category", _("Any category"), categories),
    ]
    if teams:
        selects.insert(1, ("team", _("Any team"), [(str(t.pk), t.name) for t in visible_teams(request.user)]))
    return {
        "period": period,
        "presets": [(k, label) for k, (_days, label) in query.PRESETS.items()],
        "grains": list(query.GRAIN_LABELS.items()),
        "selects": [
            {
                "name": name,
                "label": query.DIMENSION_LABELS[name],
                "any": any_label,
                "choices": [(str(v), str(lbl)) for v, lbl in choices],
                "value": (filters.get(name) or ("",))[0],
            }
            for name, any_label, choices in selects
        ],
        "filtered": bool(filters),
    }


def _question(request: HttpRequest, *, dimensions: tuple[str, ...] = query.FILTER_DIMENSIONS) -> tuple:
    return query.parse_period(request.GET), query.parse_filters(request.GET, dimensions)


def _tabs(user: Any, active: str, team: int | None = None) -> dict[str, Any]:
    teams = list(visible_teams(user)[:30])
    return {
        "tab": active,
        "tab_team": team,
        "tab_teams": teams,
        "can_see_all": can_see_all(user),
    }


# --------------------------------------------------------------------------- pages


@agents_only
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if can_see_all(request.user):
        return overview(request)
    return redirect("analytics:agent", request.user.pk)


def _overview_source(period: query.Period, filters: dict) -> query.Source:
    """The overview's figures in one call (what benchmarks/analytics.py times); a filter some
    metric cannot take makes the page ask metric by metric instead, saying which could not."""
    try:
        found = selectors.overview(period.start, period.end, grain=period.grain, filters=filters)
    except metrics.MetricError:
        found = None
    return query.Source(period, filters, found)


def _volume_charts(src: query.Source) -> list[charts.Chart]:
    c = charts
    return [
        c.trend_chart(
            "volume", _("Tickets created by channel"), ["tickets_created"], src, kind="stack", by="channel"
        ),
        c.trend_chart("flow", _("Created and solved"), ["tickets_created", "tickets_solved"], src),
    ]


def _overview_charts(src: query.Source) -> list[charts.Chart]:
    c = charts
    return [
        *_volume_charts(src),
        c.trend_chart(
            "first-response",
            _("First response time"),
            ["first_response_minutes", "first_response_business_minutes"],
            src,
        ),
        c.trend_chart("resolution", _("Resolution time"), ["resolution_hours"], src),
        c.trend_chart("sla", _("SLA compliance"), ["sla_compliance"], src),
        c.trend_chart("csat", _("Satisfaction (CSAT)"), ["csat", "csat_very_satisfied"], src),
        c.trend_chart("nps", _("Net promoter score (NPS)"), ["nps"], src),
        c.trend_chart("complaints", _("Complaint rates"), ["complaint_rate", "second_complaint_rate"], src),
        _aging(src),
        c.ranking_chart(
            "categories", _("Top categories and their growth"), "tickets_created", src, "category"
        ),
    ]


def _aging(src: query.Source) -> charts.Chart:
    """Backlog aging: open tickets by age on the period's last day (the backlog's trend without ages)."""
    title = _("Backlog aging")
    metric = query.metric_or_none("backlog")
    if metric is not None and "age" in metric.dimensions:
        return charts.stock_chart("aging", title, "backlog", src, "age")
    return charts.trend_chart("aging", title, ["backlog"], src)


@agents_only
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    if not can_see_all(request.user):
        raise PermissionDenied(_("Only supervisors see the overview; your own figures are under My figures."))
    period, filters = _question(request)
    src = _overview_source(period, filters)
    context = {
        "title": _("Service overview"),
        "figures": [charts.figure(key, src) for key in HEADLINE],
        "charts": _overview_charts(src),
        "breakdown": charts.breakdown(BREAKDOWN, src, "team", link="team"),
        "panels": extensions.dashboard_panels(request),  # e.g. the active work plan's goals
        **_filter_bar(request, period, filters),
        **_tabs(request.user, "overview"),
    }
    return render(request, "analytics/overview.html", context)


@agents_only
@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    team = visible_teams(request.user).first()
    if team is None:
        raise Http404()
    return redirect("analytics:team", team.pk)


@agents_only
@require_GET
def team(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    team = access_team(user, pk)
    period, filters = _question(request, dimensions=tuple(d for d in query.FILTER_DIMENSIONS if d != "team"))
    src = query.Source(period, {**filters, "team": (str(team.pk),)})
    c = charts
    page_charts = [
        *_volume_charts(src),
        c.trend_chart("first-response", _("First response time"), ["first_response_minutes"], src),
        c.trend_chart("resolution", _("Resolution time"), ["resolution_hours"], src),
        c.trend_chart("sla", _("SLA compliance"), ["sla_compliance"], src),
        c.trend_chart("csat", _("Satisfaction (CSAT)"), ["csat"], src),
    ]
    context = {
        "title": _("Team %(team)s") % {"team": team.name},
        "team": team,
        "figures": [charts.figure(key, src) for key in HEADLINE],
        "charts": page_charts,
        # Colleagues' figures side by side are a supervisor's to compare; an agent sees the team's.
        "breakdown": charts.breakdown(BREAKDOWN, src, "agent", link="agent") if can_see_all(user) else None,
        **_filter_bar(request, period, filters, teams=False),
        **_tabs(user, "team", team.pk),
    }
    return render(request, "analytics/team.html", context)


@agents_only
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    return redirect("analytics:agent", request.user.pk)


@agents_only
@require_GET
def agent(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = access_agent(user, pk)
    period, filters = _question(request, dimensions=tuple(d for d in query.FILTER_DIMENSIONS if d != "team"))
    person_teams = list(person.teams.order_by("name"))
    team_ids = tuple(str(t.pk) for t in person_teams)
    mine = query.Source(period, {**filters, "agent": (str(person.pk),)})
    theirs = query.Source(period, {**filters, "team": team_ids}) if team_ids else None
    team_size = (
        User.objects.filter(
            teams__pk__in=[t.pk for t in person_teams],
            is_active=True,
            role__in=(Role.AGENT, Role.SENIOR_AGENT),
        )
        .distinct()
        .count()
    )
    name = _("Me") if person.pk == user.pk else person.name
    c = charts
    page_charts = [
        c.versus_chart(
            "solved", _("Tickets solved"), "tickets_solved", mine, theirs, me=name, team_size=team_size
        ),
        c.versus_chart(
            "first-response", _("First response time"), "first_response_minutes", mine, theirs, me=name
        ),
        c.versus_chart("resolution", _("Resolution time"), "resolution_hours", mine, theirs, me=name),
        c.versus_chart("handling", _("Handling time"), "handling_minutes", mine, theirs, me=name),
    ]
    context = {
        "title": _("My figures")
        if person.pk == user.pk
        else _("Figures of %(name)s") % {"name": person.name},
        "person": person,
        "person_name": name,
        "person_teams": person_teams,
        "rows": charts.comparison(AGENT_FIGURES, mine, theirs, team_size=team_size),
        "team_size": team_size,
        "charts": page_charts,
        **_filter_bar(request, period, filters, teams=False),
        **_tabs(user, "me" if person.pk == user.pk else "agent"),
    }
    return render(request, "analytics/agent.html", context)
