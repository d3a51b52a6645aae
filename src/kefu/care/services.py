"""Use cases of the care app; each module holds one area (callbacks, complaints, keycare, referrals).

`on_event` is registered with core.events: it runs after commit, once per ticket event."""

from __future__ import annotations

from kefu.tickets.models import EventKind, Ticket, TicketEvent

from . import callbacks, complaints, keycare, referrals

generate_callbacks = callbacks.generate
work_callback = callbacks.work
generate_care = keycare.generate
work_care_task = keycare.work
sync_referrals = referrals.sync

__all__ = [
    "generate_callbacks",
    "generate_care",
    "on_event",
    "sync_referrals",
    "work_callback",
    "work_care_task",
]


def on_event(event_id: int) -> None:
    event = TicketEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None:
        return
    relevant = event.kind in (EventKind.CREATED, EventKind.ASSIGNED) or (
        event.kind == EventKind.CHANGED and event.field in ("type", "status")
    )
    if not relevant:
        return
    ticket = Ticket.objects.filter(pk=event.ticket_id, merged_into__isnull=True).first()
    if ticket is None:
        return
    if event.kind == EventKind.CREATED:
        referrals.record_lead(ticket, event)
    if event.kind == EventKind.ASSIGNED:
        referrals.note_assignment(ticket)
        return
    complaints.record(ticket, event)
