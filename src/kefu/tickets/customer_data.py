"""Tickets' share of a customer's data (registered with `customers` at start-up, which may not
import tickets): what a customer export contains and what an erasure removes (FAULTS D4), and the
search rows to rebuild after customers are merged or unmerged (their names are in the index)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.customers import merging, privacy
from kefu.customers.models import Customer, CustomerMerge

from .models import Attachment, Message, MessageKind, Ticket
from .services.common import reindex
from .states import OPEN_STATUSES

ERASED = "[erased]"


def _export(customer: Customer) -> list[dict]:
    tickets = []
    for ticket in Ticket.objects.filter(customer=customer).order_by("pk"):
        messages = (
            Message.objects.filter(ticket=ticket)
            .exclude(kind=MessageKind.SYSTEM)
            .order_by("created_at", "pk")
        )
        tickets.append(
            {
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status,
                "channel": ticket.channel,
                "created_at": ticket.created_at,
                "messages": [
                    {
                        "kind": m.kind,
                        "from_customer": m.from_customer,
                        "body": m.body_text,
                        "created_at": m.created_at,
                        "attachments": [
                            {"filename": a.filename, "size": a.size, "sha256": a.sha256}
                            for a in m.attachments.all()
                        ],
                    }
                    for m in messages.prefetch_related("attachments")
                ],
            }
        )
    return tickets


def _files(customer: Customer) -> list:
    return [
        (f"{a.ticket_id}/{a.pk}-{a.filename}", a.file.open("rb"))
        for a in Attachment.objects.filter(ticket__customer=customer).order_by("pk")
    ]


def _refuse(customer: Customer) -> str | None:
    open_count = Ticket.objects.filter(customer=customer, status__in=OPEN_STATUSES).count()
    if open_count:
        return _("%(n)s of this customer's tickets are still open: solve or close them first.") % {
            "n": open_count
        }
    return None


def _erase(customer: Customer) -> int:
    """Subjects, message bodies and attached files of the customer's tickets removed; the tickets
    stay (counted in the figures) and their search rows are rebuilt without the text."""
    ids = list(Ticket.objects.filter(customer=customer).values_list("pk", flat=True))
    rows = 0
    for attachment in Attachment.objects.filter(ticket_id__in=ids):
        attachment.file.delete(save=False)
        attachment.delete()
        rows += 1
    rows += (
        Message.objects.filter(ticket_id__in=ids)
        .exclude(body_text=ERASED)
        .update(body_text=ERASED, body_html="")
    )
    rows += Ticket.objects.filter(pk__in=ids).exclude(subject=ERASED).update(subject=ERASED)
    reindex(ids)
    return rows


def _reindex_merge(merge: CustomerMerge) -> None:
    reindex(
        list(
            Ticket.objects.filter(customer_id__in=[merge.source_id, merge.target_id]).values_list(
                "pk", flat=True
            )
        )
    )


def register() -> None:
    privacy.register_part("tickets", export=_export, erase=_erase, refuse=_refuse, files=_files, order=1100)
    merging.register_merge_hook("tickets.search", after_merge=_reindex_merge, after_unmerge=_reindex_merge)
