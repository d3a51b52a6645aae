"""The wallboard for the team room: waiting per queue, the longest wait, agents online, SLAs at risk
in the next hour, today's volume and CSAT. The page polls `wallboard/data/` (a small JSON) every few
seconds and updates itself in place, like the ticket page's presence heartbeat; without JavaScript
it is the same figures, as of the page load.

Counts are over the tickets the viewer may see (`tickets.selectors.visible_tickets`): a supervisor's
wallboard shows the whole operation, an agent's their teams' queues and unrouted tickets.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kefu.accounts.models import Team
from kefu.core import metrics
from kefu.core.clock import now
from kefu.routing.models import Presence
from kefu.routing.selectors import list_agents_with_status, working_today
from kefu.sla.models import SlaTimer, TimerState
from kefu.sla.selectors import duration_text
from kefu.tickets.selectors import visible_tickets
from kefu.tickets.states import OPEN_STATUSES, Status

from . import views_charts as charts
from . import views_query as query
from .views import agents_only, can_see_all, visible_teams

REFRESH_SECONDS = 5
RISK_WINDOW = timedelta(hours=1)
# Waiting: the ball is in the service's court (pending waits on the customer, on hold on a department).
WAITING = (Status.NEW, Status.OPEN)


def _wait(seconds: int | None) -> str:
    return duration_text(seconds) if seconds is not None else "—"


def figures(user: Any) -> dict[str, Any]:
    """Everything the wallboard shows, as plain JSON-ready values (a handful of queries)."""
    at = now()
    zone = metrics.local_zone()
    midnight = datetime.combine(at.astimezone(zone).date(), time.min, tzinfo=zone)
    tickets = visible_tickets(user)
    teams = list(visible_teams(user)) if not can_see_all(user) else None
    waiting = tickets.filter(status__in=WAITING)
    per_team = {
        row["team_id"]: row
        for row in waiting.values("team_id")
        .annotate(
            waiting=Count("id"),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
            oldest=Min("created_at", filter=Q(first_response_at__isnull=True)),
        )
        .order_by()
    }
    running = SlaTimer.objects.filter(ticket__in=tickets.filter(status__in=OPEN_STATUSES).values("pk"))
    risk = running.filter(state=TimerState.RUNNING, due_at__gt=at, due_at__lte=at + RISK_WINDOW)
    breached = running.filter(state=TimerState.BREACHED, met_at__isnull=True)
    risk_by_team = dict(risk.values_list("ticket__team_id").annotate(n=Count("id")).order_by())
    breached_by_team = dict(breached.values_list("ticket__team_id").annotate(n=Count("id")).order_by())

    agents = list_agents_with_status()
    works = working_today(agents)
    online_by_team: dict[int, int] = {}
    online = working = 0
    for agent, status in agents:
        if not works[agent.pk].works:
            continue
        working += 1
        if (status.presence if status else Presence.ONLINE) != Presence.ONLINE:
            continue
        online += 1
        for team in agent.teams.all():
            online_by_team[team.pk] = online_by_team.get(team.pk, 0) + 1

    shown = teams if teams is not None else list(Team.objects.order_by("name"))
    names = {t.pk: t.name for t in shown}
    keys = [t.pk for t in shown] + [None]
    keys += [k for k in per_team if k not in names and k is not None]
    queue_url = reverse("agent:queue")
    queues = []
    for key in keys:
        row = per_team.get(key, {})
        oldest = row.get("oldest")
        seconds = int((at - oldest).total_seconds()) if oldest else None
        if key is None and not row:
            continue  # no unrouted tickets: no row for them
        queues.append(
            {
                "team": names.get(key, _("Unrouted")) if key is not None else _("Unrouted"),
                "team_id": key,
                "waiting": row.get("waiting", 0),
                "unassigned": row.get("unassigned", 0),
                "longest_wait_seconds": seconds,
                "longest_wait": _wait(seconds),
                "agents_online": online_by_team.get(key, 0) if key is not None else None,
                "sla_at_risk": risk_by_team.get(key, 0),
                "sla_breached": breached_by_team.get(key, 0),
                "url": f"{queue_url}?view=open&team={key}"
                if key is not None
                else f"{queue_url}?view=unassigned",
            }
        )
    waits = [q["longest_wait_seconds"] for q in queues if q["longest_wait_seconds"] is not None]
    longest = max(waits) if waits else None
    day = midnight.date()
    csat = charts.figure("csat", query.Source(query.Period(day, day, "day", "custom"), {}), compare=False)
    return {
        "at": at.isoformat(),
        "at_text": timezone.localtime(at, zone).strftime("%H:%M:%S"),
        "refresh_seconds": REFRESH_SECONDS,
        "waiting": sum(q["waiting"] for q in queues),
        "unassigned": sum(q["unassigned"] for q in queues),
        "longest_wait_seconds": longest,
        "longest_wait": _wait(longest),
        "agents_online": online,
        "agents_working": working,
        "sla_at_risk": sum(risk_by_team.values()),
        "sla_breached": sum(breached_by_team.values()),
        "created_today": tickets.filter(created_at__gte=midnight).count(),
        "solved_today": tickets.filter(solved_at__gte=midnight).count(),
        "csat": {
            "available": not csat.missing,
            "value": csat.value,
            "text": csat.missing or csat.text,
        },
        "queues": queues,
    }


@never_cache
@agents_only
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "analytics/wallboard.html",
        {"title": _("Wallboard"), "wb": figures(request.user), "refresh": REFRESH_SECONDS},
    )


@never_cache
@agents_only
@require_GET
def wallboard_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(figures(request.user))
