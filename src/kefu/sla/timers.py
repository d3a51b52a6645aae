"""SLA timers: start, meet, pause, resume and retarget them as the ticket's events arrive.

`on_event(event_id)` is the handler registered in `apps.py`. It runs once per event (core.events
records it) and each step is also idempotent on its own: a metric has at most one active timer
(a partial unique constraint), meeting a met timer changes nothing.

Times: business-time targets are measured on the timer's calendar (`calendar.py`); calendar-time
targets (chat 30 s, the green channel's 2 h) count every second.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.accounts.services import notify
from kefu.core import businesstime as bt
from kefu.core.clock import now
from kefu.tickets.models import EventKind, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES, Status

from .models import ACTIVE_STATES, BusinessCalendar, Metric, PolicyTarget, SlaPolicy, SlaTimer, TimerState
from .services import BOT_USERNAME, GREEN_SECONDS, calendar_for, calendar_value, is_green, match_policy

log = logging.getLogger("kefu.sla")
RETARGET_FIELDS = {"priority", "type", "team", "channel", "tags"}


# --------------------------------------------------------------------------- time maths


def _cal(row: BusinessCalendar | None) -> bt.Calendar:
    return calendar_value(row)


def deadline(timer: SlaTimer, start: datetime, seconds: float) -> datetime:
    span = timedelta(seconds=max(0.0, seconds))
    if timer.business_time:
        return bt.add_business_time(_cal(timer.calendar), start, span)
    return start + span


def remaining(timer: SlaTimer, at: datetime) -> timedelta:
    """Time left before the due instant, in the timer's measure (negative when overdue)."""
    if timer.state == TimerState.PAUSED:
        return timedelta(seconds=timer.remaining_seconds or 0)
    if timer.due_at is None:
        return timedelta(0)
    if at >= timer.due_at:
        overdue = (
            bt.business_time_between(_cal(timer.calendar), timer.due_at, at)
            if timer.business_time
            else at - timer.due_at
        )
        return -overdue
    if timer.business_time:
        return bt.business_time_between(_cal(timer.calendar), at, timer.due_at)
    return timer.due_at - at


def _schedule(timer: SlaTimer, at: datetime, left: float, warn_percent: int) -> None:
    """Set due/warn/check for a running timer with `left` seconds of its measure to go from `at`."""
    timer.state = TimerState.RUNNING
    timer.remaining_seconds = None
    timer.due_at = deadline(timer, at, left)
    if timer.warned_at is None:
        warn_left = left - timer.target_seconds * (100 - warn_percent) / 100
        timer.warn_at = deadline(timer, at, warn_left) if warn_left > 0 else at
        timer.check_at = min(timer.warn_at, timer.due_at)
    else:
        timer.warn_at = None
        timer.check_at = timer.due_at


# --------------------------------------------------------------------------- operations


def _target_for(policy: SlaPolicy | None, metric: str, channel: str) -> PolicyTarget | None:
    if policy is None:
        return None
    found = [t for t in policy.targets.all() if t.metric == metric and t.channel in ("", channel)]
    found.sort(key=lambda t: t.channel == "")  # a channel-specific target beats the general one
    return found[0] if found else None


def start_timer(
    ticket: Ticket,
    *,
    metric: str,
    seconds: int,
    business_time: bool,
    at: datetime,
    policy: SlaPolicy | None,
    calendar: BusinessCalendar | None,
) -> SlaTimer | None:
    """Start a timer unless one is already active for this metric (then None)."""
    if SlaTimer.objects.filter(ticket=ticket, metric=metric, state__in=ACTIVE_STATES).exists():
        return None
    timer = SlaTimer(
        ticket=ticket,
        policy=policy,
        calendar=calendar,
        metric=metric,
        business_time=business_time,
        target_seconds=seconds,
        started_at=at,
    )
    _schedule(timer, at, seconds, policy.warn_percent if policy else 80)
    try:
        with transaction.atomic():
            timer.save()
    except IntegrityError:  # a concurrent handler started it first
        return None
    if ticket.status == Status.PENDING or (
        ticket.status == Status.ON_HOLD and (policy is None or policy.pause_on_hold)
    ):
        pause([timer], at=at)
    return timer


def meet(ticket: Ticket, metrics: list[str], *, at: datetime) -> int:
    """The goal was reached: active timers are met; breached ones record when they were finally met."""
    done = SlaTimer.objects.filter(ticket=ticket, metric__in=metrics, state__in=ACTIVE_STATES).update(
        state=TimerState.MET, met_at=at, check_at=None, remaining_seconds=None, stopped_at=at
    )
    SlaTimer.objects.filter(
        ticket=ticket, metric__in=metrics, state=TimerState.BREACHED, met_at__isnull=True
    ).update(met_at=at)
    return done


def cancel(ticket: Ticket, metrics: list[str], *, at: datetime) -> int:
    return SlaTimer.objects.filter(ticket=ticket, metric__in=metrics, state__in=ACTIVE_STATES).update(
        state=TimerState.CANCELLED, check_at=None, stopped_at=at
    )


def pause(timers: list[SlaTimer], *, at: datetime) -> None:
    for timer in timers:
        if timer.state != TimerState.RUNNING or timer.metric == Metric.SOLUTION_PLAN:
            continue  # a green-channel plan is due in 2 hours whatever the ticket waits on
        left = max(timedelta(0), remaining(timer, at))
        timer.state = TimerState.PAUSED
        timer.remaining_seconds = int(left.total_seconds())
        timer.due_at = timer.warn_at = timer.check_at = None
        timer.save(update_fields=["state", "remaining_seconds", "due_at", "warn_at", "check_at"])


def resume(timers: list[SlaTimer], *, at: datetime) -> None:
    for timer in timers:
        if timer.state != TimerState.PAUSED:
            continue
        warn = timer.policy.warn_percent if timer.policy else 80
        _schedule(timer, at, timer.remaining_seconds or 0, warn)
        timer.save(update_fields=["state", "remaining_seconds", "due_at", "warn_at", "check_at"])


def _active(ticket: Ticket) -> list[SlaTimer]:
    return list(
        SlaTimer.objects.filter(ticket=ticket, state__in=ACTIVE_STATES).select_related("policy", "calendar")
    )


def start_for_ticket(ticket: Ticket, *, at: datetime) -> list[SlaTimer]:
    """The timers a ticket should have by its policy and state, those it lacks are started."""
    if ticket.status in DONE_STATUSES or ticket.merged_into_id:
        return []
    policy = match_policy(ticket)
    row = calendar_for(ticket, policy)
    wanted = []
    if ticket.first_response_at is None:
        wanted += [Metric.FIRST_RESPONSE, Metric.ACKNOWLEDGEMENT]
    wanted.append(Metric.RESOLUTION)
    started = []
    history = set(SlaTimer.objects.filter(ticket=ticket).values_list("metric", flat=True))
    for metric in wanted:
        target = _target_for(policy, metric, ticket.channel)
        if target is None or (metric != Metric.RESOLUTION and metric in history):
            continue
        if (
            metric == Metric.RESOLUTION
            and SlaTimer.objects.filter(
                ticket=ticket,
                metric=metric,
                state__in=[*ACTIVE_STATES, TimerState.BREACHED],
                met_at__isnull=True,
            ).exists()
        ):
            continue
        timer = start_timer(
            ticket,
            metric=metric,
            seconds=target.seconds,
            business_time=target.business_time,
            at=at,
            policy=policy,
            calendar=row,
        )
        if timer:
            started.append(timer)
    started += _green(ticket, at=at)
    return started


def _green(ticket: Ticket, *, at: datetime) -> list[SlaTimer]:
    """Green channel: a 2-hour solution-plan target (around the clock) and the supervisors told at once."""
    if not is_green(ticket) or SlaTimer.objects.filter(ticket=ticket, metric=Metric.SOLUTION_PLAN).exists():
        return []
    timer = start_timer(
        ticket,
        metric=Metric.SOLUTION_PLAN,
        seconds=GREEN_SECONDS,
        business_time=False,
        at=at,
        policy=None,
        calendar=None,
    )
    if timer is None:
        return []
    people = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    if ticket.team_id and ticket.team and ticket.team.lead_id:
        people.append(ticket.team.lead)
    notify(
        people,
        kind="sla_green",
        text=_("Green channel: %(n)s %(s)s needs a solution plan within 2 hours.")
        % {"n": ticket.number, "s": ticket.subject},
        url=reverse("agent:ticket", args=[ticket.pk]),
        dedupe_key=f"sla:green:{ticket.pk}",
    )
    return [timer]


def retarget(ticket: Ticket, *, at: datetime) -> None:
    """Priority, type, team… changed: active timers follow the policy that now matches, keeping time spent."""
    policy = match_policy(ticket)
    row = calendar_for(ticket, policy)
    for timer in _active(ticket):
        if timer.metric == Metric.SOLUTION_PLAN:
            continue
        target = _target_for(policy, timer.metric, ticket.channel)
        if target is None:
            cancel(ticket, [timer.metric], at=at)
            continue
        same = (
            timer.policy_id == (policy.pk if policy else None)
            and timer.target_seconds == target.seconds
            and timer.business_time == target.business_time
            and timer.calendar_id == (row.pk if row else None)
        )
        if same:
            continue
        spent = timer.target_seconds - max(0.0, remaining(timer, at).total_seconds())
        paused = timer.state == TimerState.PAUSED
        timer.policy, timer.calendar = policy, row
        timer.target_seconds, timer.business_time = target.seconds, target.business_time
        left = max(0.0, target.seconds - spent)
        if paused:
            timer.remaining_seconds = int(left)
            timer.save()
        else:
            _schedule(timer, at, left, policy.warn_percent if policy else 80)
            timer.save()
    start_for_ticket(ticket, at=at)


# --------------------------------------------------------------------------- the event handler


def _by_agent(event: TicketEvent) -> bool:
    actor = event.actor
    return bool(actor and actor.is_agent and actor.username != BOT_USERNAME)


def on_event(event_id: int) -> None:
    event = (
        TicketEvent.objects.select_related("ticket", "ticket__customer", "ticket__team", "actor")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return
    ticket, at, kind = event.ticket, event.created_at, event.kind
    if kind == EventKind.CREATED:
        start_for_ticket(ticket, at=at)
    elif kind == EventKind.REPLIED:
        meet(
            ticket,
            [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.ACKNOWLEDGEMENT, Metric.SOLUTION_PLAN],
            at=at,
        )
    elif kind == EventKind.CUSTOMER_REPLIED:
        _customer_replied(ticket, at=at)
    elif kind in (EventKind.NOTED, EventKind.ASSIGNED) and _by_agent(event):
        meet(ticket, [Metric.ACKNOWLEDGEMENT], at=at)
    elif kind == EventKind.MERGED:
        cancel(ticket, list(Metric.values), at=at)
    elif kind == EventKind.CHANGED and event.field == "status":
        _status_changed(ticket, old=event.old_value, new=event.new_value, at=at)
    elif kind == EventKind.CHANGED and event.field in RETARGET_FIELDS and ticket.status not in DONE_STATUSES:
        retarget(ticket, at=at)


def _customer_replied(ticket: Ticket, *, at: datetime) -> None:
    if ticket.status in DONE_STATUSES or ticket.first_response_at is None:
        return  # the first-response timer still runs, or the reply reopens the ticket (a status event)
    if SlaTimer.objects.filter(ticket=ticket, metric=Metric.FIRST_RESPONSE, state__in=ACTIVE_STATES).exists():
        return
    start_next_response(ticket, at=at)


def start_next_response(ticket: Ticket, *, at: datetime) -> SlaTimer | None:
    policy = match_policy(ticket)
    target = _target_for(policy, Metric.NEXT_RESPONSE, ticket.channel)
    if target is None:
        return None
    return start_timer(
        ticket,
        metric=Metric.NEXT_RESPONSE,
        seconds=target.seconds,
        business_time=target.business_time,
        at=at,
        policy=policy,
        calendar=calendar_for(ticket, policy),
    )


def _status_changed(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    timers = _active(ticket)
    if new in DONE_STATUSES:
        meet(ticket, [Metric.RESOLUTION, Metric.SOLUTION_PLAN], at=at)
        cancel(ticket, [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.ACKNOWLEDGEMENT], at=at)
        return
    if new == Status.PENDING:
        pause(timers, at=at)
    elif new == Status.ON_HOLD:
        pause([t for t in timers if t.policy is None or t.policy.pause_on_hold], at=at)
    elif new in (Status.OPEN, Status.NEW):
        resume(timers, at=at)
        if old in DONE_STATUSES:  # reopened: the resolution clock starts again
            start_for_ticket(ticket, at=at)
            _customer_replied(ticket, at=at)


def recompute_all(*, at: datetime | None = None) -> int:
    """Start the missing timers of every open ticket (after a policy edit or for the demo); returns how many."""
    current = at or now()
    count = 0
    ids = Ticket.objects.filter(
        status__in=[Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
    ).values_list("pk", flat=True)
    for pk in ids.iterator():
        ticket = Ticket.objects.select_related("customer", "team").get(pk=pk)
        with transaction.atomic():
            count += len(start_for_ticket(ticket, at=current))
    return count
