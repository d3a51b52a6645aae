"""Mail's share of a customer's data (registered with `customers.privacy`; FAULTS D4).

The tickets part erases messages and attachments, but mail keeps more: every raw mail as it arrived
(for audit and re-processing: the full text, the addresses, the attached files) and every mail kefu
sent (its own copy of the body). An export includes both, the raw mails as `.eml` files; an erasure
empties them and cancels what was still waiting to go out to this customer."""

from __future__ import annotations

import io

from django.db.models import Q, QuerySet

from kefu.customers import privacy
from kefu.customers.models import Customer, IdentityKind
from kefu.tickets.models import Ticket

from .models import CustomerNotice, InboundMail, NoticeState, OutboxMail, OutboxState

ERASED = "[erased]"


def _addresses(customer: Customer) -> list[str]:
    found = {customer.email.strip().lower()} if customer.email else set()
    found |= {
        value.strip().lower()
        for value in customer.identities.filter(kind=IdentityKind.EMAIL).values_list("value", flat=True)
    }
    return sorted(a for a in found if a)


def _ticket_ids(customer: Customer) -> QuerySet:
    return Ticket.objects.filter(customer=customer).values("pk")


def _inbound(customer: Customer) -> QuerySet[InboundMail]:
    return InboundMail.objects.filter(
        Q(ticket_id__in=_ticket_ids(customer)) | Q(from_email__in=_addresses(customer))
    ).order_by("pk")


def _outbound(customer: Customer) -> QuerySet[OutboxMail]:
    return OutboxMail.objects.filter(
        Q(ticket_id__in=_ticket_ids(customer)) | Q(to__in=_addresses(customer))
    ).order_by("pk")


def _export(customer: Customer) -> dict:
    return {
        "received": [
            {
                "received_at": m.received_at,
                "from": m.from_email,
                "subject": m.subject,
                "message_id": m.message_id,
                "size": m.size,
                "sha256": m.sha256,
                "state": m.state,
                "file": f"mail/{m.pk}.eml" if m.raw else "",
            }
            for m in _inbound(customer).defer("raw")
        ],
        "sent": [
            {
                "created_at": m.created_at,
                "sent_at": m.sent_at,
                "kind": m.kind,
                "to": m.to,
                "cc": m.cc,
                "subject": m.subject,
                "body": m.body_text,
                "state": m.state,
            }
            for m in _outbound(customer)
        ],
    }


def _files(customer: Customer) -> list:
    return [
        (f"{pk}.eml", io.BytesIO(bytes(raw)))
        for pk, raw in _inbound(customer).values_list("pk", "raw")
        if raw
    ]


def _erase(customer: Customer) -> int:
    """Raw mails emptied (text, sender, subject; the digest stays so a redelivery is still known),
    sent mails' copies emptied, and mail still queued for this customer cancelled."""
    rows = (
        _inbound(customer)
        .exclude(raw=b"", subject="", from_email="")
        .update(raw=b"", subject="", from_email="", reason="")
    )
    outbound = _outbound(customer)
    rows += outbound.filter(state__in=[OutboxState.PENDING, OutboxState.RETRYING]).update(
        state=OutboxState.FAILED, last_error="customer data erased", next_attempt_at=None
    )
    rows += outbound.exclude(to="", subject=ERASED).update(
        to="", cc="", reply_to="", subject=ERASED, body_text=ERASED, body_html=""
    )
    rows += CustomerNotice.objects.filter(
        ticket_id__in=_ticket_ids(customer), state=NoticeState.PENDING
    ).update(state=NoticeState.SKIPPED, reason="customer data erased")
    return rows


def register() -> None:
    # Before the profile (1000), which removes the addresses the raw mails are found by.
    privacy.register_part("mail", export=_export, erase=_erase, files=_files, order=900)
