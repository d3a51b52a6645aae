"""The channel-neutral inbound pipeline: one `InboundMessage` in, a ticket or a follow-up out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, transaction

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.customers.services import find_or_create_customer
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Message, Ticket
from kefu.tickets.selectors import access_ticket
from kefu.tickets.services import Upload

from .models import InboundState, RawInbound


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    external_id: str  # idempotency key within the channel
    from_email: str = ""
    from_name: str = ""
    from_phone: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    ticket_id: int | None = None  # set when the channel already knows the thread
    type: str = "consultation"
    priority: str = "normal"
    language: str = "zh-hans"
    attachments: tuple[Upload, ...] = field(default_factory=tuple)


@dataclass
class Received:
    ticket: Ticket
    message: Message
    created: bool  # False when this delivery was a repeat of an earlier one
    rejected: list[str]


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _payload(inbound: InboundMessage) -> str:
    data = asdict(inbound)
    data["attachments"] = [{"name": a.name, "size": len(a.content)} for a in inbound.attachments]
    return json.dumps(data, ensure_ascii=False, default=str)


def receive(inbound: InboundMessage, *, by: User | None = None) -> Received:
    """Store the raw item, then thread or open a ticket, in one transaction. A repeat is a no-op."""
    if inbound.channel not in Channel.values:
        raise ValueError(f"unknown channel {inbound.channel}")
    previous = _previous(inbound)
    if previous:
        return previous
    try:
        with transaction.atomic():
            raw = RawInbound.objects.create(
                channel=inbound.channel, external_id=inbound.external_id[:255], payload=_payload(inbound)
            )
            result = _process(inbound, by=by)
            RawInbound.objects.filter(pk=raw.pk).update(
                state=InboundState.PROCESSED, ticket_id=result.ticket.pk, message_id=result.message.pk,
                processed_at=now(),
            )
            return result
    except IntegrityError:
        # A concurrent delivery of the same item won the race; answer with its result.
        previous = _previous(inbound)
        if previous:
            return previous
        raise


def _previous(inbound: InboundMessage) -> Received | None:
    raw = RawInbound.objects.filter(
        channel=inbound.channel, external_id=inbound.external_id[:255], state=InboundState.PROCESSED
    ).first()
    if raw is None or raw.message_id is None:
        return None
    message = Message.objects.select_related("ticket").filter(pk=raw.message_id).first()
    if message is None:
        return None
    return Received(ticket=message.ticket, message=message, created=False, rejected=[])


def _process(inbound: InboundMessage, *, by: User | None) -> Received:
    customer = None
    if by is not None and getattr(by, "customer", None) is not None:
        customer = by.customer
    if customer is None:
        customer = find_or_create_customer(
            email=inbound.from_email, name=inbound.from_name, phone=inbound.from_phone, language=inbound.language
        )
    if inbound.ticket_id and by is not None:
        ticket = access_ticket(by, inbound.ticket_id)
        posted = tickets.reply(
            ticket, body=inbound.body_text, by=by, attachments=inbound.attachments, channel=inbound.channel,
            external_id=inbound.external_id,
        )
        return Received(ticket=ticket, message=posted.message, created=True, rejected=posted.rejected)
    created = tickets.open_ticket(
        customer=customer, subject=inbound.subject, body=inbound.body_text, body_html=inbound.body_html,
        by=by, channel=inbound.channel, type=inbound.type, priority=inbound.priority,
        attachments=inbound.attachments, external_id=inbound.external_id,
    )
    return Received(ticket=created.ticket, message=created.message, created=True, rejected=created.rejected)
