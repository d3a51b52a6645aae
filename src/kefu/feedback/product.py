"""Product feedback (需求反馈): an agent tags a message with a product area; a supervisor reviews
whether the tag is accurate; the list is exported as CSV or XLSX through core.exports (formula
injection neutralised, FAULTS D3). product_feedback_accuracy = accurate ÷ reviewed (metrics.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet

from kefu.core import exports
from kefu.core.clock import now
from kefu.tickets.models import Message

from . import config
from .errors import Conflict, OutOfRange, PermissionDenied
from .models import ProductFeedback, Review

NOTE_MAX = 500


def tag(*, message: Message, area: str, note: str = "", by: Any) -> ProductFeedback:
    """Tag a message 需求反馈 (or change the area of its tag while not yet reviewed)."""
    if not getattr(by, "is_agent", False):
        raise PermissionDenied("Only agents tag product feedback.")
    if area not in config.PRODUCT_AREAS:
        raise OutOfRange(f"Unknown product area {area!r}.", field="area")
    note = (note or "").replace("\x00", "").strip()
    if len(note) > NOTE_MAX:
        raise OutOfRange(f"A note may be at most {NOTE_MAX} characters.", field="note")
    with transaction.atomic():
        found = ProductFeedback.objects.filter(message=message).first()
        if found is not None:
            if found.review:
                raise Conflict("This feedback was already reviewed.", code="already_reviewed")
            ProductFeedback.objects.filter(pk=found.pk, review="").update(area=area, note=note)
            found.refresh_from_db()
            return found
        item, _created = ProductFeedback.objects.get_or_create(
            message=message,
            defaults={
                "ticket_id": message.ticket_id,
                "area": area,
                "note": note,
                "tagged_by": by,
                "created_at": now(),
            },
        )
        return item


def untag(*, item: ProductFeedback, by: Any) -> None:
    if not getattr(by, "is_agent", False):
        raise PermissionDenied("Only agents tag product feedback.")
    if item.review:
        raise Conflict("This feedback was already reviewed.", code="already_reviewed")
    ProductFeedback.objects.filter(pk=item.pk, review="").delete()


def review(*, item: ProductFeedback, accurate: bool, by: Any) -> ProductFeedback:
    """A supervisor's verdict; it may be changed (the last verdict counts, on the day it was given)."""
    from .selectors import can_manage

    if not can_manage(by):
        raise PermissionDenied("Supervisors review product feedback.")
    verdict = Review.ACCURATE if accurate else Review.INACCURATE
    ProductFeedback.objects.filter(pk=item.pk).update(review=verdict, reviewed_by=by, reviewed_at=now())
    item.refresh_from_db()
    return item


HEADER = ("ticket", "subject", "area", "message", "note", "tagged by", "tagged at", "review", "reviewed by")


def _rows(items: QuerySet[ProductFeedback]) -> Iterator[list[Any]]:
    for item in items.iterator(chunk_size=500):
        yield [
            item.ticket.number,
            item.ticket.subject,
            str(config.PRODUCT_AREAS.get(item.area, item.area)),
            item.message.body_text[:2000],
            item.note,
            str(item.tagged_by) if item.tagged_by else "",
            item.created_at,
            str(Review(item.review).label),
            str(item.reviewed_by) if item.reviewed_by else "",
        ]


def export(items: QuerySet[ProductFeedback], *, fmt: str) -> tuple[str, str, Iterable[bytes] | IO[bytes]]:
    """(filename, content type, body): CSV streamed in chunks, XLSX as a temporary file."""
    items = items.select_related("ticket", "message", "tagged_by", "reviewed_by")
    if fmt == "csv":
        return "product-feedback.csv", exports.CSV_TYPE, exports.csv_chunks(HEADER, _rows(items))
    if fmt == "xlsx":
        return "product-feedback.xlsx", exports.XLSX_TYPE, exports.xlsx_file("需求反馈", HEADER, _rows(items))
    raise OutOfRange("Export as csv or xlsx.", field="format")
