"""Reads of the sla app: timers of a ticket or of a page of tickets (one query), calendars, policies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kefu.accounts.models import Role
from kefu.core import businesstime as bt
from kefu.core.clock import now
from kefu.core.errors import ValidationFailed
from kefu.tickets.states import Status

from .models import BusinessCalendar, Metric, SlaPolicy, SlaRecompute, SlaTimer, TimerState
from .services import calendar_value
from .timers import remaining

WEEKDAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
# The ticket panel re-fetches itself this often (static/sla/countdown.js): a minute is the
# resolution of the texts it shows.
REFRESH_SECONDS = 60


def can_manage(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN))


def list_calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.select_related("team")


def list_policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("calendar").prefetch_related("targets")


def list_recomputes(
    *, policy: SlaPolicy | None = None, calendar: BusinessCalendar | None = None, limit: int = 5
) -> list[SlaRecompute]:
    """The latest recomputations an edit of this policy or calendar caused (newest first)."""
    rows = SlaRecompute.objects.select_related("by")
    if policy is not None:
        rows = rows.filter(policy=policy)
    if calendar is not None:
        rows = rows.filter(calendar=calendar)
    return list(rows[:limit])


# Shown on tickets: active timers and breached ones not yet met.
SHOWN = Q(state__in=[TimerState.RUNNING, TimerState.PAUSED]) | Q(
    state=TimerState.BREACHED, met_at__isnull=True
)


@dataclass
class TimerView:
    timer: SlaTimer
    label: str
    text: str
    tone: str  # "danger", "warning", "secondary", "success"
    left: timedelta
    due_at: datetime | None
    due_title: str = ""  # "Due 2026-06-15 Monday 09:30" (the calendar's local time), shown on hover
    note: str = ""  # why it waits: "paused: waiting for the customer", "due Monday 09:30 — after the weekend"


def humanize(left: timedelta, *, workday: int | None = None) -> str:
    """剩余 35 分钟 / 剩余 2 小时 5 分钟 / 已超时 10 分钟 — in business time when the timer counts it.

    `workday`: the length of a working day of the timer's calendar (seconds); given for a
    business-time timer, so its time reads in working days: 剩余 1 个工作日 2 小时.
    """
    seconds = abs(left.total_seconds())
    if workday:  # to the nearest minute, so a fresh 3-working-day timer reads 3 working days, not 2 and 7 h
        amount = business_text(int(round(seconds / 60) * 60 if seconds >= 60 else seconds), workday)
    else:
        amount = duration_text(int(seconds))
    if left.total_seconds() < 0:
        return _("overdue by %(t)s") % {"t": amount}
    return _("%(t)s left") % {"t": amount}


def workday_seconds(cal: bt.Calendar) -> int:
    """The length of a working day of the calendar: the hours of its usual working weekday
    (the one make-up workdays follow, usually Monday). 9:00–18:00 with lunch: 7.5 hours."""
    periods = cal.weekly[cal.makeup_weekday or 0]
    return sum(end - start for start, end in periods) or bt.DAY


def business_text(seconds: int, workday: int) -> str:
    """A business-time span in the words of a policy: 3 个工作日 / 1 个工作日 2 小时 / 2 小时 30 分钟.

    Under one working day it reads in hours and minutes; from one working day on, in working
    days and whole hours. A calendar open around the clock has no working day to count in."""
    if workday >= bt.DAY or seconds < workday:
        return duration_text(seconds)
    days, rest = divmod(seconds, workday)
    text = ngettext("%(n)s working day", "%(n)s working days", days) % {"n": days}
    hours = rest // 3600
    if hours:
        text += " " + _("%(h)s h") % {"h": hours}
    return text


def target_text(seconds: int, business_time: bool, cal: bt.Calendar) -> str:
    """How a policy's target reads: in working days of its calendar when it counts business time."""
    return business_text(seconds, workday_seconds(cal)) if business_time else duration_text(seconds)


def policy_calendar(policy: SlaPolicy, default: BusinessCalendar | None) -> bt.Calendar:
    """The calendar a policy's targets are read in: its own, else the default one, else office hours."""
    row = policy.calendar if policy.calendar_id else default
    try:
        return calendar_value(row)
    except ValidationFailed:  # an old invalid row: read in office hours, never fail the page
        return bt.OFFICE


def _when(at: datetime, cal: bt.Calendar) -> str:
    local = at.astimezone(cal.zone)
    return f"{WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"


def due_title(at: datetime, cal: bt.Calendar) -> str:
    local = at.astimezone(cal.zone)
    return f"{_('Due')} {local:%Y-%m-%d} {WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"


def due_note(due: datetime, at: datetime, cal: bt.Calendar) -> str:
    """A due time on a later day says when, and why when days off lie between:
    "due Monday 09:30 — after the weekend", "due Thursday 09:00 — after National Day"."""
    today, day = at.astimezone(cal.zone).date(), due.astimezone(cal.zone).date()
    if day <= today:
        return ""
    when = _when(due, cal)
    holiday, weekend = "", False
    current = today + timedelta(days=1)
    while current < day and current - today < timedelta(days=40):
        info = bt.day_info(cal, current)
        if info.kind == "holiday" and not holiday:
            holiday = info.title
        elif info.kind == "weekend":
            weekend = True
        current += timedelta(days=1)
    if holiday:
        return _("due %(when)s — after %(holiday)s") % {"when": when, "holiday": holiday}
    if weekend:
        return _("due %(when)s — after the weekend") % {"when": when}
    return _("due %(when)s") % {"when": when}


def pause_note(timer: SlaTimer) -> str:
    status = timer.ticket.status if timer.ticket_id else ""
    if status == Status.PENDING:
        return _("paused: waiting for the customer")
    if status == Status.ON_HOLD:
        return _("paused: on hold with another department")
    return _("paused")


def duration_text(seconds: int) -> str:
    """30 秒 / 35 分钟 / 2 小时 5 分钟 / 5 天: how a target or a remaining time is read."""
    if seconds < 60:
        amount = _("%(n)s s") % {"n": seconds}
    elif seconds < 3600:
        amount = _("%(n)s min") % {"n": seconds // 60}
    elif seconds < 100 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        amount = (
            (_("%(h)s h %(m)s min") % {"h": hours, "m": minutes}) if minutes else _("%(h)s h") % {"h": hours}
        )
    else:
        amount = _("%(n)s days") % {"n": seconds // 86400}
    return amount


def describe(timer: SlaTimer, at: datetime) -> TimerView:
    """What a timer shows; `timer.ticket` and `timer.calendar` are expected select_related."""
    label = str(Metric(timer.metric).label)
    if timer.state == TimerState.MET:
        return TimerView(timer, label, _("met"), "success", timedelta(0), None)
    cal = _timer_calendar(timer)
    workday = workday_seconds(cal) if timer.business_time else None
    left = remaining(timer, at)
    if timer.state == TimerState.BREACHED or left.total_seconds() < 0:
        tone = "danger"
    elif timer.state == TimerState.PAUSED:
        tone = "secondary"
    elif timer.warned_at or (timer.warn_at and at >= timer.warn_at):
        tone = "warning"
    else:
        tone = "info"
    text = (
        humanize(left, workday=workday)
        if timer.state != TimerState.BREACHED or left.total_seconds() < 0
        else _("breached")
    )
    note = ""
    if timer.state == TimerState.PAUSED:
        text = _("paused, %(t)s") % {"t": text}
        note = pause_note(timer)
    elif timer.state == TimerState.RUNNING and timer.due_at and left.total_seconds() > 0:
        note = due_note(timer.due_at, at, cal)
    title = due_title(timer.due_at, cal) if timer.due_at else ""
    return TimerView(timer, label, text, tone, left, timer.due_at, title, note)


def _timer_calendar(timer: SlaTimer) -> bt.Calendar:
    try:
        return calendar_value(timer.calendar)
    except ValidationFailed:  # an old invalid row: read in office hours, never fail the page
        return bt.OFFICE


def ticket_timers(ticket_id: int, *, at: datetime | None = None) -> list[TimerView]:
    current = at or now()
    timers = (
        SlaTimer.objects.filter(ticket_id=ticket_id)
        .select_related("calendar", "policy", "ticket")
        .order_by("id")
    )
    return [describe(t, current) for t in timers if t.state != TimerState.CANCELLED]


def page_badges(ticket_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, TimerView]:
    """The most urgent shown timer of each ticket of a page — one query for the whole page."""
    current = at or now()
    best: dict[int, TimerView] = {}
    rows = SlaTimer.objects.filter(SHOWN, ticket_id__in=list(ticket_ids)).select_related(
        "calendar", "policy", "ticket"
    )
    for timer in rows:
        view = describe(timer, current)
        known = best.get(timer.ticket_id)
        if known is None or _urgency(view) < _urgency(known):
            best[timer.ticket_id] = view
    return best


def _urgency(view: TimerView) -> tuple[int, float]:
    paused = view.timer.state == TimerState.PAUSED
    return (1 if paused else 0, view.left.total_seconds())
