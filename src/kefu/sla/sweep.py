"""The SLA sweep: warn before a breach, escalate on it. Safe on any number of workers at once.

Cost: one indexed range read of `check_at <= now` (only timers whose warning or due time has
come), then one claim per timer. A claim is a compare-and-set UPDATE on the `check_at` value the
sweep read; three workers sweeping the same minute race on it and exactly one wins each timer,
so a warning or an escalation happens once. The claim and its actions share one transaction: if
an action fails, the claim rolls back and the next sweep tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db import OperationalError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.accounts.services import notify
from kefu.core.clock import now
from kefu.tickets.errors import StaleVersion
from kefu.tickets.models import PRIORITY_RANK, Priority, Ticket
from kefu.tickets.services import update_ticket
from kefu.tickets.states import OPEN_STATUSES

from .models import Metric, SlaTimer, TimerState
from .services import bot

log = logging.getLogger("kefu.sla")
T = TypeVar("T")
BATCH = 500


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0


def _retry_locked(fn: Callable[[], T], attempts: int = 40) -> T:
    """SQLite's shared-cache test database refuses a second writer instead of queueing it: wait and retry."""
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def sweep(*, at: datetime | None = None, limit: int = BATCH) -> SweepResult:
    current = at or now()
    result = SweepResult()
    supervisors: list[User] | None = None  # read once per sweep, when the first breach needs them
    due = _retry_locked(
        lambda: list(
            SlaTimer.objects.filter(check_at__lte=current)
            .order_by("check_at")
            .values_list("pk", "check_at", "due_at")[:limit]
        )
    )
    for pk, check_at, due_at in due:
        breach = due_at is not None and due_at <= current
        if breach and supervisors is None:
            supervisors = _retry_locked(_supervisors)
        try:
            acted = _retry_locked(lambda: _act(pk, check_at, due_at, breach, current, supervisors))  # noqa: B023
        except Exception:
            log.exception("SLA timer %s: escalation failed; the next sweep retries", pk)
            continue
        if acted:
            if breach:
                result.breached += 1
            else:
                result.warned += 1
    return result


@transaction.atomic
def _act(
    pk: int,
    check_at: datetime,
    due_at: datetime | None,
    breach: bool,
    current: datetime,
    supervisors: list[User] | None = None,
) -> bool:
    claim = SlaTimer.objects.filter(pk=pk, check_at=check_at, state=TimerState.RUNNING)
    if breach:
        won = claim.update(state=TimerState.BREACHED, breached_at=due_at, check_at=None)
    else:
        won = claim.update(warned_at=current, check_at=due_at)
    if not won:
        return False  # another worker took it, or the ticket moved on since we read it
    timer = SlaTimer.objects.select_related("ticket", "ticket__team", "ticket__assignee", "policy").get(pk=pk)
    if breach:
        escalate(timer, supervisors=supervisors)
    else:
        warn(timer)
    return True


def _ticket_url(ticket: Ticket) -> str:
    return reverse("agent:ticket", args=[ticket.pk])


def _supervisors() -> list[User]:
    return list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))


def _leads(ticket: Ticket, supervisors: list[User] | None = None) -> list[User]:
    people = list(supervisors if supervisors is not None else _supervisors())
    if ticket.team_id and ticket.team and ticket.team.lead_id:
        people.append(ticket.team.lead)
    return people


def warn(timer: SlaTimer) -> None:
    ticket = timer.ticket
    people = (
        [ticket.assignee]
        if ticket.assignee_id
        else ([ticket.team.lead] if ticket.team_id and ticket.team else [])
    )
    notify(
        [p for p in people if p is not None],
        kind="sla_warning",
        text=_("%(n)s: %(metric)s is due soon.") % {"n": ticket.number, "metric": Metric(timer.metric).label},
        url=_ticket_url(ticket),
        dedupe_key=f"sla:warn:{timer.pk}",
    )


def escalate(timer: SlaTimer, *, supervisors: list[User] | None = None) -> None:
    """Breach actions of the timer's policy: notify, raise priority, reassign to a senior agent."""
    ticket = timer.ticket
    policy = timer.policy
    if ticket.status not in OPEN_STATUSES:
        return
    label = Metric(timer.metric).label
    if policy is None or policy.notify_on_breach:
        notify(
            _leads(ticket, supervisors),
            kind="sla_breach",
            text=_("%(n)s %(s)s: %(metric)s target breached.")
            % {"n": ticket.number, "s": ticket.subject, "metric": label},
            url=_ticket_url(ticket),
            dedupe_key=f"sla:breach:{timer.pk}",
        )
    if policy is None:
        return
    changes: dict[str, object] = {}
    if policy.raise_priority_on_breach:
        order = sorted(PRIORITY_RANK, key=PRIORITY_RANK.__getitem__)
        rank = PRIORITY_RANK.get(Priority(ticket.priority), 1)
        if rank + 1 < len(order):
            changes["priority"] = str(order[rank + 1])
    if policy.reassign_on_breach:
        senior = pick_senior(ticket)
        if senior is not None and senior.pk != ticket.assignee_id:
            changes["assignee"] = senior
    if changes:
        _update(ticket, changes)


def _update(ticket: Ticket, changes: dict[str, object]) -> None:
    actor = bot()
    for _attempt in range(3):  # an agent may be editing the ticket this very second
        fresh = Ticket.objects.get(pk=ticket.pk)
        try:
            update_ticket(fresh, by=actor, version=fresh.version, **changes)
            return
        except StaleVersion:
            continue
    log.warning("ticket %s kept changing; SLA escalation changes skipped", ticket.pk)


def pick_senior(ticket: Ticket) -> User | None:
    """The senior agent (of the ticket's team if any) with the fewest open tickets."""
    seniors = User.objects.filter(role=Role.SENIOR_AGENT, is_active=True)
    if ticket.team_id:
        in_team = seniors.filter(teams=ticket.team_id)
        if in_team.exists():
            seniors = in_team
    return (
        seniors.annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
        .order_by("load", "pk")
        .first()
    )
