"""Triggers: react to a ticket event with conditions → actions, once per event, with a loop guard.

The handler `on_event(event_id)` is registered with `core.events` (it runs after commit, once per
event). A trigger's actions are done by the system user `kefu-bot` and write new ticket events; those
are recorded in `EventCause` with the chain they belong to. When such an event is handled:
- a trigger that already fired in the same chain does not fire again (it would loop), and
- a chain longer than `KEFU_AUTOMATION_MAX_CHAIN` steps is cut;
both are written to `TriggerRun` with status "cut" and the reason, and logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from kefu.core.errors import DomainError
from kefu.tickets.models import Message, Ticket, TicketEvent

from . import actions, rules
from .models import EventCause, RunStatus, Trigger, TriggerRun

log = logging.getLogger("kefu.automation")
DEFAULT_MAX_CHAIN = 5


def max_chain() -> int:
    return int(getattr(settings, "KEFU_AUTOMATION_MAX_CHAIN", DEFAULT_MAX_CHAIN))


def _message_text(event: TicketEvent, ticket: Ticket) -> str:
    if event.message_id:
        return Message.objects.filter(pk=event.message_id).values_list("body_text", flat=True).first() or ""
    first = ticket.messages.filter(kind="public").values_list("body_text", flat=True).first()
    return first or ""


class _AlreadyRan(Exception):
    pass


def _record(
    trigger: Trigger, event: TicketEvent, *, root: int, depth: int, status: str, reason: str = ""
) -> bool:
    """Write the run row; False if this trigger already ran for this event (a repeat: do nothing)."""
    try:
        with transaction.atomic():
            TriggerRun.objects.create(
                trigger=trigger,
                event_id=event.pk,
                ticket_id=event.ticket_id,
                root_event_id=root,
                depth=depth,
                status=status,
                reason=reason[:300],
            )
    except IntegrityError:
        return False
    return True


def on_event(event_id: int) -> None:
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    triggers = list(Trigger.objects.filter(event=event.kind, active=True).order_by("position", "id"))
    if not triggers:
        return
    cause = EventCause.objects.filter(event_id=event.pk).first()
    root = cause.root_event_id if cause else event.pk
    depth = cause.depth if cause else 0
    chain: list[int] = list(cause.chain) if cause else []
    bot = actions.bot()
    before = (
        TicketEvent.objects.filter(ticket_id=event.ticket_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    fired: list[int] = []
    for trigger in triggers:
        ticket = (
            Ticket.objects.select_related(
                "customer", "customer__organisation", "team", "category", "assignee"
            )
            .filter(pk=event.ticket_id, merged_into__isnull=True)
            .first()
        )
        if ticket is None:
            return
        known = rules.facts(ticket, event=event, message_text=_message_text(event, ticket))
        if not rules.matches(trigger.conditions, known, match=trigger.match):
            continue
        reason = ""
        if trigger.pk in chain:
            reason = f"loop: trigger {trigger.pk} already fired in this chain (root event {root}, step {depth + 1})"
        elif depth >= max_chain():
            reason = (
                f"chain of {depth} trigger steps reached the limit {max_chain()} "
                f"(root event {root}, triggers {chain})"
            )
        if reason:
            if _record(trigger, event, root=root, depth=depth, status=RunStatus.CUT, reason=reason):
                log.warning("trigger %s cut on ticket %s: %s", trigger.pk, event.ticket_id, reason)
            continue
        try:
            with transaction.atomic():
                # Claim first: a repeat of this event (or a racing worker) finds the row and does nothing.
                if not _record(trigger, event, root=root, depth=depth, status=RunStatus.FIRED):
                    raise _AlreadyRan
                actions.apply_current(
                    ticket,
                    trigger.actions,
                    by=bot,
                    dedupe=f"t{trigger.pk}:e{event.pk}",
                    source=event.kind,
                    throttle_replies=True,
                )
        except _AlreadyRan:
            continue
        except DomainError as err:  # the claim rolled back with the actions; record the failure instead
            _record(trigger, event, root=root, depth=depth, status=RunStatus.FAILED, reason=err.message)
            log.warning("trigger %s failed on ticket %s: %s", trigger.pk, event.ticket_id, err.message)
            continue
        fired.append(trigger.pk)
    if not fired:
        return
    caused = TicketEvent.objects.filter(ticket_id=event.ticket_id, actor=bot)
    if before:
        caused = caused.filter(pk__gt=before)
    EventCause.objects.bulk_create(
        [
            EventCause(event_id=pk, root_event_id=root, depth=depth + 1, chain=chain + fired)
            for pk in caused.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
