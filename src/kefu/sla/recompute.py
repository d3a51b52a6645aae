"""After a policy or calendar edit: move the due times of the timers already running under it.

A supervisor shortens a target, adds a holiday, changes which tickets a policy covers: the open
tickets' active timers follow at once, keeping the time already spent (as `timers.retarget` does
when a ticket changes). Met, breached, cancelled timers and done tickets are never touched.

Cost: the active policies and the calendars are read once; the affected timers are read in pages
by primary key with their ticket, customer, policy and calendar (one query a page) and written
back with one batched UPDATE a page (`executemany`). Policy matching and business-time maths run in memory.

Concurrency: each row is written by compare-and-set on (still active, `check_at` as read), so a
timer the sweep has warned or breached (or a reply has met) meanwhile keeps what they wrote. The
sweep claims by compare-and-set on `check_at` too, which this write changes: a claim read before it
fails and the next sweep sees the new due time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from kefu.accounts.models import User
from kefu.core import businesstime as bt
from kefu.core.clock import now
from kefu.core.errors import ValidationFailed
from kefu.tickets.models import Ticket
from kefu.tickets.states import OPEN_STATUSES

from .models import (
    ACTIVE_STATES,
    BusinessCalendar,
    Metric,
    RecomputeCause,
    SlaPolicy,
    SlaRecompute,
    SlaTimer,
    TimerState,
)
from .services import active_policies, calendar_for, calendar_value, match_policy
from .timers import _schedule, _target_for, start_for_ticket

log = logging.getLogger("kefu.sla")
PAGE = 500
FIELDS = [
    "policy",
    "calendar",
    "state",
    "business_time",
    "target_seconds",
    "due_at",
    "warn_at",
    "check_at",
    "remaining_seconds",
    "stopped_at",
]


# What a page reads: the timer, and of its ticket and customer only what matching a policy needs.
READ = [
    *(f.name for f in SlaTimer._meta.concrete_fields),
    *(
        f"ticket__{name}"
        for name in ("status", "channel", "type", "priority", "team", "customer", "merged_into")
    ),
    "ticket__customer__tier",
]


@dataclass
class Counts:
    checked: int = 0
    moved: int = 0
    cancelled: int = 0
    started: int = 0  # timers a newly matching policy has and the old one lacked


def _left(timer: SlaTimer, cal: bt.Calendar, at: datetime) -> float:
    """Seconds still to go (negative when overdue) in the timer's measure, on the calendar `cal`."""
    if timer.state == TimerState.PAUSED:
        return float(timer.remaining_seconds or 0)
    if timer.due_at is None:
        return 0.0
    if not timer.business_time:
        return (timer.due_at - at).total_seconds()
    if at >= timer.due_at:
        return -bt.business_time_between(cal, timer.due_at, at).total_seconds()
    return bt.business_time_between(cal, at, timer.due_at).total_seconds()


def _redo(
    timer: SlaTimer,
    *,
    at: datetime,
    policies: Sequence[SlaPolicy],
    calendars: Sequence[BusinessCalendar],
    old_calendars: Mapping[int, bt.Calendar],
) -> str:
    """Retarget one timer in memory; returns "same", "moved" or "cancelled"."""
    ticket = timer.ticket
    policy = match_policy(ticket, policies)
    target = _target_for(policy, timer.metric, ticket.channel)
    if target is None:  # the policy that now applies has no such target
        timer.state = TimerState.CANCELLED
        timer.check_at = timer.due_at = timer.warn_at = None
        timer.remaining_seconds = None
        timer.stopped_at = at
        return "cancelled"
    if timer.calendar_id in old_calendars:
        old_cal = old_calendars[timer.calendar_id]
    else:  # the rows were read once; a calendar deleted meanwhile counts as the built-in hours
        old_cal = calendar_value(next((c for c in calendars if c.pk == timer.calendar_id), None))
    spent = timer.target_seconds - max(0.0, _left(timer, old_cal, at))
    before = (timer.policy_id, timer.calendar_id, timer.target_seconds, timer.business_time)
    before_times = (timer.due_at, timer.warn_at, timer.remaining_seconds)
    row = calendar_for(ticket, policy, calendars)
    timer.policy, timer.calendar = policy, row
    timer.target_seconds, timer.business_time = target.seconds, target.business_time
    left = max(0.0, target.seconds - spent)
    if timer.state == TimerState.PAUSED:
        timer.remaining_seconds = int(left)
    else:
        _schedule(timer, at, left, policy.warn_percent if policy else 80)
    after = (timer.policy_id, timer.calendar_id, timer.target_seconds, timer.business_time)
    if before == after and _close(before_times, (timer.due_at, timer.warn_at, timer.remaining_seconds)):
        timer.due_at, timer.warn_at, timer.remaining_seconds = before_times  # float noise: keep as stored
        return "same"
    return "moved"


def _close(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal up to a second (measuring then adding business time may differ by float rounding)."""
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            if x is not y:
                return False
        elif isinstance(x, datetime):
            if abs((x - y).total_seconds()) >= 1:
                return False
        elif abs(x - y) >= 1:
            return False
    return True


def _write(timers: list[SlaTimer]) -> None:
    """One batched statement for the page (executemany), each row a compare-and-set.

    A row is written only if it is still active and its `check_at` is still the value read: a
    timer the sweep warned, breached or a reply met meanwhile keeps what they wrote (and is
    retargeted by the ticket's next change). Django's `bulk_update` builds one CASE per column
    over the page, which measured ~100× slower here.
    """
    table = connection.ops.quote_name(SlaTimer._meta.db_table)
    columns = [SlaTimer._meta.get_field(name) for name in FIELDS]
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    sql = (
        f"UPDATE {table} SET "
        + ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
        + f" WHERE {connection.ops.quote_name('id')} = %s"
        + f" AND {connection.ops.quote_name('state')} IN (%s, %s)"
        + f" AND {connection.ops.quote_name('check_at')} {same} %s"
    )
    check = SlaTimer._meta.get_field("check_at")
    rows = [
        [f.get_db_prep_save(getattr(timer, f.attname), connection) for f in columns]
        + [timer.pk, TimerState.RUNNING, TimerState.PAUSED]
        + [check.get_db_prep_save(timer._read_check_at, connection)]  # type: ignore[attr-defined]
        for timer in timers
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _affected(scope: Q) -> QuerySet[SlaTimer]:
    return (
        SlaTimer.objects.filter(scope, state__in=ACTIVE_STATES, ticket__status__in=OPEN_STATUSES)
        .filter(ticket__merged_into__isnull=True)
        .exclude(metric=Metric.SOLUTION_PLAN)  # the green channel's 2 hours follow no policy
    )


def recompute(
    scope: Q,
    *,
    cause: str,
    by: User | None,
    policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    old_calendars: Mapping[int, bt.Calendar] | None = None,
    at: datetime | None = None,
) -> SlaRecompute:
    """Retarget the active timers in `scope` (open tickets only) and log what moved.

    Returns the log entry (saved only when some timer was checked).

    `old_calendars`: calendar id → its value before the edit, so the time left is measured on
    the hours that applied when the due time was set, then laid out on the new ones.
    """
    current = at or now()
    started = time.monotonic()
    policies = active_policies()
    calendars = list(BusinessCalendar.objects.all())
    old = dict(old_calendars or {})
    counts = Counts()
    tickets: set[int] = set()
    handed_over: set[int] = set()
    last = 0
    base = _affected(scope).select_related("ticket", "ticket__customer").only(*READ).order_by("pk")
    while True:
        page = list(base.filter(pk__gt=last)[:PAGE])
        if not page:
            break
        last = page[-1].pk
        changed = []
        for timer in page:
            counts.checked += 1
            timer._read_check_at = timer.check_at  # type: ignore[attr-defined]
            policy_before = timer.policy_id
            outcome = _redo(timer, at=current, policies=policies, calendars=calendars, old_calendars=old)
            if outcome == "same":
                continue
            if timer.policy_id != policy_before:
                handed_over.add(timer.ticket_id)
            changed.append(timer)
            tickets.add(timer.ticket_id)
            if outcome == "moved":
                counts.moved += 1
            else:
                counts.cancelled += 1
        if changed:
            _write(changed)
    # A ticket another policy took over gets the targets the new policy has and the old one lacked
    # (the same per-ticket start as after a ticket change; only these tickets, not every affected one).
    for ticket in Ticket.objects.filter(pk__in=handed_over).select_related("customer", "team"):
        counts.started += len(start_for_ticket(ticket, at=current))
    entry = SlaRecompute(
        cause=cause,
        policy=policy,
        calendar=calendar,
        by=by if by is not None and by.pk else None,
        at=current,
        checked=counts.checked,
        moved=counts.moved,
        cancelled=counts.cancelled,
        tickets=len(tickets),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    if counts.checked:  # an edit that touched no running timer (a new policy, say) leaves no row
        entry.save()
    log.log(
        logging.INFO if counts.checked or counts.started else logging.DEBUG,  # no noise on a first start
        "sla recompute after %s edit (policy=%s calendar=%s by=%s): %d timers checked, %d moved, "
        "%d cancelled, %d started, %d tickets, %d ms",
        cause,
        policy.pk if policy else None,
        calendar.pk if calendar else None,
        by.username if by is not None else "-",
        counts.checked,
        counts.moved,
        counts.cancelled,
        counts.started,
        len(tickets),
        entry.duration_ms,
    )
    return entry


SYNC_LIMIT = 2000  # more affected timers than this: recomputed by a task after the edit commits


def _later(scope: Q, **task_args: Any) -> SlaRecompute | None:
    """Large edits are recomputed after commit by `tasks.recompute_timers`, page by page."""
    affected = _affected(scope).count()
    if affected <= SYNC_LIMIT:
        return None
    from . import tasks

    transaction.on_commit(lambda: tasks.recompute_timers.delay(**task_args))
    log.info("sla recompute of %d timers queued (%s)", affected, task_args.get("cause"))
    entry = SlaRecompute(cause=task_args["cause"], at=now(), checked=affected)
    entry.queued = True
    return entry


def after_policy_edit(
    policy: SlaPolicy, *, by: User | None, rematch: bool, at: datetime | None = None
) -> SlaRecompute:
    """Timers under the policy; when who it covers changed (conditions, order, active, new), also
    the timers it may now take over: those of later policies and those under none."""
    scope = Q(policy=policy)
    if rematch:
        scope |= Q(policy__isnull=True) | Q(policy__position__gte=policy.position)
    queued = _later(
        scope, cause=RecomputeCause.POLICY, policy_id=policy.pk, by_id=by.pk if by else None, rematch=rematch
    )
    return queued or recompute(scope, cause=RecomputeCause.POLICY, by=by, policy=policy, at=at)


def calendar_fields(row: BusinessCalendar) -> dict[str, Any]:
    """What a calendar's hours are made of, as JSON (a task rebuilds the value from it)."""
    return {
        "tz": row.tz,
        "statutory": row.statutory,
        "weekly": row.weekly,
        "holidays": row.holidays,
        "workdays": row.workdays,
        "name": row.name,
    }


def _value(fields: dict[str, Any] | None) -> bt.Calendar | None:
    if not fields:
        return None
    try:
        return BusinessCalendar(**fields).value()
    except ValidationFailed:
        return None


def after_calendar_edit(
    calendar: BusinessCalendar,
    *,
    old_fields: dict[str, Any] | None,
    by: User | None,
    reassigned: bool,
    at: datetime | None = None,
) -> SlaRecompute:
    """Timers counting on the calendar; when the team/channel/default it serves changed, also every
    timer whose policy names no calendar (its calendar is chosen by team, channel or default).

    `old_fields`: `calendar_fields()` of the row before the edit (None for a new calendar)."""
    scope = Q(calendar=calendar)
    if reassigned:
        scope |= Q(policy__isnull=True) | Q(policy__calendar__isnull=True)
    queued = _later(
        scope,
        cause=RecomputeCause.CALENDAR,
        calendar_id=calendar.pk,
        old_fields=old_fields,
        by_id=by.pk if by else None,
        reassigned=reassigned,
    )
    if queued:
        return queued
    old_value = _value(old_fields)
    old = {calendar.pk: old_value} if old_value is not None else {}
    return recompute(scope, cause=RecomputeCause.CALENDAR, by=by, calendar=calendar, old_calendars=old, at=at)


def run_queued(
    *,
    cause: str,
    by_id: int | None,
    policy_id: int | None = None,
    rematch: bool = False,
    calendar_id: int | None = None,
    old_fields: dict[str, Any] | None = None,
    reassigned: bool = False,
) -> SlaRecompute | None:
    """The task's body: the same recomputation, at the time it runs (safe to run twice: a timer
    already moved is found "same" and left alone)."""
    by = User.objects.filter(pk=by_id).first() if by_id else None
    if cause == RecomputeCause.POLICY:
        policy = SlaPolicy.objects.filter(pk=policy_id).first()
        if policy is None:
            return None
        scope = Q(policy=policy)
        if rematch:
            scope |= Q(policy__isnull=True) | Q(policy__position__gte=policy.position)
        return recompute(scope, cause=cause, by=by, policy=policy)
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        return None
    scope = Q(calendar=calendar)
    if reassigned:
        scope |= Q(policy__isnull=True) | Q(policy__calendar__isnull=True)
    old_value = _value(old_fields)
    return recompute(
        scope,
        cause=cause,
        by=by,
        calendar=calendar,
        old_calendars={calendar.pk: old_value} if old_value is not None else {},
    )
