"""Event handlers (registered in apps.py): triage + assignment on new tickets, reassignment of
reopened ones, and agent corrections recorded as feedback."""

from __future__ import annotations

import logging

from django.db import transaction

from kefu.tickets.models import EventKind, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES, Status

from .models import TriageField

log = logging.getLogger("kefu.routing")


def on_event(event_id: int) -> None:
    event = TicketEvent.objects.filter(pk=event_id).select_related("actor").first()
    if event is None:
        return
    if event.kind == EventKind.CREATED:
        on_created(event)
    elif event.kind == EventKind.CHANGED and event.field == "status":
        if event.new_value == Status.OPEN and event.old_value in DONE_STATUSES:
            on_reopened(event)
    elif event.kind == EventKind.CHANGED and event.field in TriageField.values:
        from .services.triage import record_correction

        record_correction(event)


def on_created(event: TicketEvent) -> None:
    from .services.assignment import auto_assign
    from .services.triage import triage_ticket

    ticket = Ticket.objects.filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    by_agent = bool(event.actor and event.actor.is_agent)
    try:
        with transaction.atomic():
            triage_ticket(ticket, created_by_agent=by_agent)
    except Exception:  # triage trouble must not leave the ticket unrouted: the rules still assign
        log.exception("triage failed for ticket %s", ticket.pk)
    auto_assign(ticket, event_id=event.pk)


def on_reopened(event: TicketEvent) -> None:
    from .services.assignment import auto_assign

    ticket = Ticket.objects.filter(pk=event.ticket_id).first()
    if ticket is not None and ticket.assignee_id is None:
        auto_assign(ticket, event_id=event.pk, reopened=True)
