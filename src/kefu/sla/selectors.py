"""Reads of the sla app: timers of a ticket or of a page of tickets (one query), calendars, policies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import Role
from kefu.core.clock import now

from .models import BusinessCalendar, Metric, SlaPolicy, SlaRecompute, SlaTimer, TimerState
from .timers import remaining


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


def humanize(left: timedelta) -> str:
    """剩余 35 分钟 / 剩余 2 小时 5 分钟 / 已超时 10 分钟 — in business time when the timer counts it."""
    amount = duration_text(int(abs(left.total_seconds())))
    if left.total_seconds() < 0:
        return _("overdue by %(t)s") % {"t": amount}
    return _("%(t)s left") % {"t": amount}


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
    label = str(Metric(timer.metric).label)
    if timer.state == TimerState.MET:
        return TimerView(timer, label, _("met"), "success", timedelta(0), None)
    left = remaining(timer, at)
    if timer.state == TimerState.BREACHED or left.total_seconds() < 0:
        tone = "danger"
    elif timer.state == TimerState.PAUSED:
        tone = "secondary"
    elif timer.warned_at or (timer.warn_at and at >= timer.warn_at):
        tone = "warning"
    else:
        tone = "info"
    text = humanize(left) if timer.state != TimerState.BREACHED or left.total_seconds() < 0 else _("breached")
    if timer.state == TimerState.PAUSED:
        text = _("paused, %(t)s") % {"t": text}
    return TimerView(timer, label, text, tone, left, timer.due_at)


def ticket_timers(ticket_id: int, *, at: datetime | None = None) -> list[TimerView]:
    current = at or now()
    timers = SlaTimer.objects.filter(ticket_id=ticket_id).select_related("calendar", "policy").order_by("id")
    return [describe(t, current) for t in timers if t.state != TimerState.CANCELLED]


def page_badges(ticket_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, TimerView]:
    """The most urgent shown timer of each ticket of a page — one query for the whole page."""
    current = at or now()
    best: dict[int, TimerView] = {}
    rows = SlaTimer.objects.filter(SHOWN, ticket_id__in=list(ticket_ids)).select_related("calendar", "policy")
    for timer in rows:
        view = describe(timer, current)
        known = best.get(timer.ticket_id)
        if known is None or _urgency(view) < _urgency(known):
            best[timer.ticket_id] = view
    return best


def _urgency(view: TimerView) -> tuple[int, float]:
    paused = view.timer.state == TimerState.PAUSED
    return (1 if paused else 0, view.left.total_seconds())
