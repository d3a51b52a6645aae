"""Complaints and second complaints (二次投诉), recorded from the ticket event log.

A ticket typed complaint (when created, or when an agent changes its type) is a complaint. A second
complaint is, within `second_complaint_days` after an earlier complaint of the same customer:
- a new complaint about the same order (same order number) or the same ticket (linked to it, its
  child, or naming its number), or
- the customer reopening the complaint ticket itself.
It is tagged `second_complaint_tag` through tickets.services, which writes the "changed tags" event
the automation trigger 二次投诉升级 (`ensure_trigger`) reacts to: priority urgent — which the SLA
policies and their escalation pick up — and every supervisor notified at once. One mechanism, the
one every other escalation uses.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.services import system_user
from kefu.tickets import services as tickets
from kefu.tickets.errors import StaleVersion
from kefu.tickets.models import Ticket, TicketEvent, TicketLink, TicketType
from kefu.tickets.states import DONE_STATUSES, Status

from . import config
from .models import Complaint

log = logging.getLogger("kefu.care")


def _window() -> timedelta:
    return timedelta(days=int(config.get("second_complaint_days")))


def _earlier_about_same(ticket: Ticket, at_time: datetime) -> Complaint | None:
    linked = set(TicketLink.objects.filter(source=ticket).values_list("target_id", flat=True))
    linked |= set(TicketLink.objects.filter(target=ticket).values_list("source_id", flat=True))
    if ticket.parent_id:
        linked.add(ticket.parent_id)
    same = Q(ticket_id__in=linked) if linked else Q(pk__in=[])
    if ticket.order_ref:
        same |= Q(order_ref=ticket.order_ref)
    candidates = (
        Complaint.objects.filter(
            customer_id=ticket.customer_id, created_at__gte=at_time - _window(), created_at__lte=at_time
        )
        .exclude(ticket=ticket)
        .select_related("ticket")
        .order_by("created_at", "pk")
    )
    found = candidates.filter(same).first()
    if found is not None:
        return found
    first = ticket.messages.order_by("pk").values_list("body_text", flat=True).first() or ""
    text = f"{ticket.subject}\n{first}"
    for earlier in candidates[:50]:
        if earlier.ticket.number in text:
            return earlier
    return None


def record(ticket: Ticket, event: TicketEvent) -> Complaint | None:
    """The complaint an event makes, if any (idempotent per event)."""
    if Complaint.objects.filter(event_id=event.pk).exists():
        return None
    reopened = (
        event.kind == "changed"
        and event.field == "status"
        and event.old_value in DONE_STATUSES
        and event.new_value == Status.OPEN
        and (event.actor_id is None or not event.actor.is_agent)
    )
    at_time = event.created_at
    if reopened:
        first = Complaint.objects.filter(
            ticket=ticket, is_repeat=False, created_at__gte=at_time - _window()
        ).first()
        if first is None:
            return None
        return _create(ticket, event, repeat_of=first)
    if ticket.type != TicketType.COMPLAINT or Complaint.objects.filter(ticket=ticket).exists():
        return None
    return _create(ticket, event, repeat_of=_earlier_about_same(ticket, at_time))


def _create(ticket: Ticket, event: TicketEvent, *, repeat_of: Complaint | None) -> Complaint | None:
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                ticket=ticket,
                customer_id=ticket.customer_id,
                order_ref=ticket.order_ref,
                event_id=event.pk,
                repeat_of=repeat_of,
                is_repeat=repeat_of is not None,
                created_at=event.created_at,
            )
    except IntegrityError:  # a concurrent run recorded it
        return None
    if complaint.is_repeat:
        escalate(ticket, first=repeat_of)
    return complaint


TRIGGER_NAME = "二次投诉升级 (second complaint escalation)"


def ensure_trigger(tag: str) -> None:
    """The automation trigger that escalates a tagged second complaint, made the first time one is
    needed: an ordinary trigger an administrator may edit or deactivate (kept as they leave it; a
    deleted one comes back with the next second complaint — deactivate it instead).

    care and automation are siblings and may not import each other, so the row is written through
    the app registry, the way a data migration would."""
    trigger = apps.get_model("automation", "Trigger")
    if trigger.objects.filter(name=TRIGGER_NAME).exists():
        return
    trigger.objects.create(
        name=TRIGGER_NAME,
        event="changed",
        match="all",
        conditions=[
            {"field": "event.field", "op": "eq", "value": "tags"},
            {"field": "ticket.tags", "op": "has", "value": tag},
            {"field": "event.old_value", "op": "not_contains", "value": tag},
        ],
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {
                "type": "notify",
                "to": "supervisors",
                "text": "二次投诉 / second complaint: {{ customer_name }}",
            },
        ],
        position=5,
        active=True,
    )


def escalate(ticket: Ticket, *, first: Complaint | None) -> None:
    """Tag the ticket 二次投诉 (the trigger escalates) and say why in an internal note."""
    tag = str(config.get("second_complaint_tag"))
    ensure_trigger(tag)
    bot = system_user()
    for _attempt in range(3):
        fresh = Ticket.objects.get(pk=ticket.pk)
        names = list(fresh.tags.values_list("name", flat=True))
        if tag in names:
            break
        try:
            tickets.update_ticket(fresh, by=bot, version=fresh.version, tags=[*names, tag])
            break
        except StaleVersion:
            continue
    else:
        log.warning("ticket %s kept changing; second-complaint tag not set", ticket.pk)
    earlier = first.ticket.number if first is not None else ""
    tickets.add_note(
        Ticket.objects.get(pk=ticket.pk),
        body=_("Second complaint (二次投诉): the customer complained about this before (%(t)s) on %(d)s.")
        % {"t": earlier, "d": first.created_at.date().isoformat() if first else ""},
        by=bot,
    )
