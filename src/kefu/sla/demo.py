"""Demo data of the sla app: the plans' calendars and policies, and timers for the demo's open tickets."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from kefu.core.clock import now
from kefu.tickets.models import Message, MessageKind, Ticket
from kefu.tickets.states import OPEN_STATUSES

from . import services, timers
from .models import SlaTimer


def load_config() -> None:
    services.install_defaults()


def after_tickets() -> None:
    """Start the timers of the open demo tickets from their creation time, so the queue shows
    countdowns: old ones breached (red), recent ones close to due. Idempotent."""
    current = now()
    open_ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
        .exclude(sla_timers__isnull=False)
        .values_list("pk", flat=True)
    )
    for pk in open_ids:
        ticket = Ticket.objects.select_related("customer", "team").get(pk=pk)
        with transaction.atomic():
            started = timers.start_for_ticket(ticket, at=ticket.created_at)
            last = (
                Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).order_by("-created_at").first()
            )
            if (
                last
                and last.from_customer
                and ticket.first_response_at
                and last.created_at > ticket.first_response_at
            ):
                # The customer wrote last: the next-response clock runs from that message.
                nxt = timers.start_next_response(ticket, at=last.created_at)
                started += [nxt] if nxt else []
        for timer in started:
            # Past due: mark breached now (the sweep would do it within a minute, and notify).
            if timer.due_at and timer.due_at <= current and timer.state == "running":
                SlaTimer.objects.filter(pk=timer.pk, state="running").update(
                    state="breached", breached_at=timer.due_at, check_at=None
                )
            elif timer.due_at and timer.due_at - current < timedelta(hours=1):
                SlaTimer.objects.filter(pk=timer.pk).update(warned_at=current, check_at=timer.due_at)
