"""Agent pages of the workforce app: the staffing week (forecast, requirement, on duty, rosters)
and a roster's week grid with its conflicts. Supervisors plan; agents see their team's published
roster and ask for swaps."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError

from . import config, forecasting, selectors, services
from .models import RosterEntry, ShiftPattern


def _weekday(d: date) -> str:
    return str(WEEKDAYS_ABBR[d.weekday()])  # Django's own catalogue: 周一 … 周日


def _pk(value: str | None) -> int:
    """A posted id, or 0 when it is not a sane one (never an overflow in the database)."""
    try:
        number = int(value or 0)
    except ValueError:
        return 0
    return number if 0 < number < 2**63 else 0


def _manager(request: HttpRequest) -> None:
    if not selectors.can_manage(request.user):
        raise Http404()


def _week(request: HttpRequest) -> date:
    wanted = request.GET.get("week", "")
    try:
        if wanted:
            return selectors.checked_week(date.fromisoformat(wanted))
    except (ValueError, DomainError):
        pass
    return selectors.monday_of(selectors.local_today()) + timedelta(days=7)  # next week by default


def staffing(request: HttpRequest) -> HttpResponse:
    _manager(request)
    week = _week(request)
    view = selectors.staffing_week(week)
    zone = timezone.get_current_timezone()
    channels = sorted({c for n in view.needs for c in n.expected})
    labels = [
        f"{_weekday(n.starts_at.astimezone(zone).date())} {n.starts_at.astimezone(zone):%H:%M}"
        for n in view.needs
    ]
    chart = {
        "labels": labels,
        "series": [
            {
                "name": str(_channel_label(c)),
                "type": "bar",
                "data": [round(n.expected.get(c, 0), 1) for n in view.needs],
            }
            for c in channels
        ]
        + [
            {"name": _("Agents required"), "type": "line", "data": [n.required for n in view.needs]},
            {
                "name": _("On duty (roster)"),
                "type": "line",
                "data": [view.on_duty.get(n.starts_at, 0) for n in view.needs],
            },
        ],
    }
    days = []
    for i in range(7):
        d = week + timedelta(days=i)
        items = [n for n in view.needs if n.starts_at.astimezone(zone).date() == d]
        short = [n for n in items if view.on_duty.get(n.starts_at, 0) < n.required]
        peak = [n for n in items if n.peak]
        days.append(
            {
                "day": d,
                "weekday": _weekday(d),
                "kind": items[0].day_kind if items else "",
                "contacts": round(sum(n.total for n in items)),
                "max_required": max((n.required for n in items), default=0),
                "peak": f"{peak[0].starts_at.astimezone(zone):%H:%M}–{(peak[-1].starts_at + timedelta(minutes=30)).astimezone(zone):%H:%M}"
                if peak
                else "—",
                "short": len(short),
            }
        )
    rosters = selectors.rosters_of_week(week)
    return render(
        request,
        "workforce/staffing.html",
        {
            "week": week,
            "prev_week": week - timedelta(days=7),
            "next_week": week + timedelta(days=7),
            "view": view,
            "chart": chart,
            "days": days,
            "rosters": rosters,
            "teams": Team.objects.exclude(pk__in=[r.team_id for r in rosters]).order_by("name"),
            "swaps": selectors.list_swaps(request.user),
            "floor": config.get()["floor"],
        },
    )


def _channel_label(code: str) -> str:
    from kefu.tickets.models import Channel

    return str(dict(Channel.choices).get(code, code))


@require_POST
def run_forecast(request: HttpRequest) -> HttpResponse:
    _manager(request)
    try:
        run = forecasting.run_nightly(force=True)
    except Exception:  # noqa: BLE001 - shown to the supervisor; logged by run_nightly
        messages.error(request, _("The forecast failed; see the log."))
    else:
        if run is None:
            messages.error(request, _("A forecast is running right now; try again in a minute."))
        else:
            messages.success(request, _("Forecast updated from %(n)d tickets.") % {"n": run.history})
    return redirect(reverse("workforce:staffing"))


@require_POST
def create_roster(request: HttpRequest) -> HttpResponse:
    _manager(request)
    team = Team.objects.filter(pk=_pk(request.POST.get("team"))).first()
    try:
        week = date.fromisoformat(request.POST.get("week", ""))
    except ValueError:
        week = None
    if team is None or week is None:
        messages.error(request, _("Choose a team and a week."))
        return redirect(reverse("workforce:staffing"))
    try:
        roster = services.get_or_create_roster(team=team, week_start=week, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect(reverse("workforce:staffing"))
    return redirect(reverse("workforce:roster", args=[roster.pk]))


def roster(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.access_roster(request.user, pk)
    except DomainError:
        raise Http404() from None
    days, rows = selectors.roster_grid(item)
    manager = selectors.can_manage(request.user)
    return render(
        request,
        "workforce/roster.html",
        {
            "roster": item,
            "days": [{"day": d, "weekday": _weekday(d)} for d in days],
            "rows": rows,
            "manager": manager,
            "conflicts": selectors.conflicts(item) if manager else [],
            "patterns": list(selectors.list_patterns()) if manager else [],
            "agents": [r.agent for r in rows],
            "colleagues": selectors.team_members(item.team_id),
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("workforce:roster", args=[pk]))


@require_POST
def add_shift(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    item = selectors.access_roster(request.user, pk)
    agent = User.objects.filter(pk=_pk(request.POST.get("agent"))).first()
    pattern = ShiftPattern.objects.filter(pk=_pk(request.POST.get("pattern"))).first()
    days = request.POST.getlist("day")
    if agent is None or pattern is None or not days:
        messages.error(request, _("Choose an agent, a shift and at least one day."))
        return _back(pk)
    try:
        for value in days:
            services.add_shift(
                item, agent=agent, day=date.fromisoformat(value), pattern=pattern, by=request.user
            )
    except (DomainError, ValueError) as err:
        messages.error(request, getattr(err, "message", str(err)))
    return _back(pk)


@require_POST
def remove_shift(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    _manager(request)
    item = selectors.access_roster(request.user, pk)
    entry = RosterEntry.objects.filter(pk=entry_id, roster=item).first()
    if entry is None:
        raise Http404()
    services.remove_shift(entry, by=request.user)
    return _back(pk)


@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    item = selectors.access_roster(request.user, pk)
    try:
        services.publish_roster(item, by=request.user, accept_conflicts=request.POST.get("accept") == "1")
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Roster published: routing now follows it."))
    return _back(pk)


@require_POST
def ask_swap(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    item = selectors.access_roster(request.user, pk)
    entry = RosterEntry.objects.filter(pk=entry_id, roster=item).select_related("roster").first()
    to = User.objects.filter(pk=_pk(request.POST.get("to"))).first()
    if entry is None or to is None:
        raise Http404()
    try:
        services.request_swap(entry, by=request.user, to=to, reason=request.POST.get("reason", ""))
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Swap requested; a supervisor approves it."))
    return _back(pk)


@require_POST
def decide_swap(request: HttpRequest, swap_id: int) -> HttpResponse:
    _manager(request)
    try:
        swap = selectors.access_swap(request.user, swap_id)
        services.decide_swap(swap, by=request.user, approve=request.POST.get("approve") == "1")
    except DomainError as err:
        messages.error(request, err.message)
    return redirect(reverse("workforce:staffing"))
