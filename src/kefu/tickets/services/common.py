"""What every ticket use case shares: limits, uploads, the event writer, the search index."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import events
from kefu.core.clock import now
from kefu.core.filenames import clean_filename, storage_name
from kefu.tickets import search
from kefu.tickets.errors import AttachmentRejected, ValidationFailed
from kefu.tickets.models import (
    Attachment,
    EventKind,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
)

SUBJECT_MAX = 300
BODY_MAX = 64_000
FORBIDDEN_EXTENSIONS = frozenset(
    [
        ".exe",
        ".dll",
        ".bat",
        ".cmd",
        ".com",
        ".scr",
        ".msi",
        ".ps1",
        ".vbs",
        ".js",
        ".jar",
        ".sh",
        ".app",
        ".apk",
        ".hta",
        ".cpl",
        ".lnk",
        ".reg",
        ".pif",
    ]
)


@dataclass(frozen=True)
class Upload:
    """A file handed to a service: name as given, bytes, declared type."""

    name: str
    content: bytes
    content_type: str = ""


# --------------------------------------------------------------------------- helpers


def _event(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None,
    field: str = "",
    old: Any = "",
    new: Any = "",
    message: Message | None = None,
) -> TicketEvent:
    event = _event_row(ticket, kind, by=by, field=field, old=old, new=new, message=message)
    event.save(force_insert=True)
    events.publish(event.pk)
    return event


def _event_row(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None = None,
    field: str = "",
    old: Any = "",
    new: Any = "",
    message: Message | None = None,
) -> TicketEvent:
    """The (unsaved) event `_event` writes."""
    return TicketEvent(
        ticket=ticket,
        actor=by if by and by.pk else None,
        kind=kind,
        field=field,
        old_value=str(old if old is not None else "")[:300],
        new_value=str(new if new is not None else "")[:300],
        message=message,
    )


def _check_text(value: str, *, field: str, maximum: int, required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > maximum:
        raise ValidationFailed(
            _("Too long: %(n)d characters, at most %(max)d.") % {"n": len(value), "max": maximum}, field=field
        )
    return value


def check_upload(upload: Upload) -> str:
    """The name to show and download the upload under (as sent, only made safe: CJK, spaces and
    full-width punctuation kept), or AttachmentRejected with the reason."""
    name = clean_filename(upload.name, fallback="file")
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    if len(upload.content) > limit:
        raise AttachmentRejected(
            _("%(name)s is too large (%(size)s MB; the limit is %(limit)s MB).")
            % {
                "name": name,
                "size": round(len(upload.content) / 1048576, 1),
                "limit": round(limit / 1048576, 1),
            },
            field="attachments",
        )
    if ext in FORBIDDEN_EXTENSIONS or upload.content[:2] == b"MZ":
        raise AttachmentRejected(
            _("%(name)s: this file type is not allowed.") % {"name": name}, field="attachments"
        )
    return name


def _store_attachments(
    ticket: Ticket, message: Message, uploads: Sequence[Upload], by: User | None
) -> list[str]:
    """Store the acceptable files; a rejected one is reported and logged, the rest still saved."""
    rejected = []
    for upload in uploads:
        try:
            name = check_upload(upload)
        except AttachmentRejected as err:
            rejected.append(err.message)
            _event(ticket, EventKind.ATTACHMENT_REJECTED, by=by, field="attachments", new=err.message)
            continue
        _attachment_row(ticket, message, upload, name).save()
    return rejected


def _attachment_row(ticket: Ticket, message: Message, upload: Upload, name: str) -> Attachment:
    """The (unsaved) row of an accepted upload, its file stored."""
    digest = hashlib.sha256(upload.content).hexdigest()
    content_type = upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        ticket=ticket,
        message=message,
        filename=name,
        content_type=content_type[:100],
        size=len(upload.content),
        sha256=digest,
    )
    # stored under a generated key: the sender's name is for display and download only
    attachment.file.save(storage_name(name, digest), ContentFile(upload.content), save=False)
    return attachment


def _attachment_rows(
    ticket: Ticket,
    message: Message,
    uploads: Sequence[Upload],
    log: list[TicketEvent],
    files: list[Attachment],
) -> list[str]:
    """`_store_attachments(by=None)` for a bulk write: the rejection events are added to `log`,
    the accepted files (stored) to `files`, both unsaved, in the order it writes them."""
    rejected = []
    for upload in uploads:
        try:
            name = check_upload(upload)
        except AttachmentRejected as err:
            rejected.append(err.message)
            log.append(
                _event_row(ticket, EventKind.ATTACHMENT_REJECTED, field="attachments", new=err.message)
            )
            continue
        files.append(_attachment_row(ticket, message, upload, name))
    return rejected


# Ticket ids waiting for one reindex at the end of a `deferred_reindex()` block (None: none open).
_deferred: ContextVar[set[int] | None] = ContextVar("kefu_deferred_reindex", default=None)
REINDEX_CHUNK = 500


def reindex(ticket_ids: Sequence[int]) -> None:
    """Rebuild the search rows of these tickets from their subject, customer and public messages.

    Inside `deferred_reindex()` the ids are only noted, and rebuilt once when the block ends.
    """
    pending = _deferred.get()
    if pending is not None:
        pending.update(ticket_ids)
        return
    _reindex_now(ticket_ids)


@contextmanager
def deferred_reindex() -> Iterator[None]:
    """Bulk writes: every `reindex()` inside the block is done once, for all its tickets, at the end.

    Use it inside the transaction that makes the changes, so the index is still written in the same
    transaction (search is never stale once it commits). The rows are built from the database at
    the end of the block, so a change rolled back in between is not indexed. On an exception
    nothing is indexed (the transaction is rolling back anyway). Nested blocks join the outer one.
    """
    if _deferred.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    _reindex_now(sorted(pending))


def _reindex_now(ticket_ids: Sequence[int]) -> None:
    ids = list(dict.fromkeys(ticket_ids))
    for start in range(0, len(ids), REINDEX_CHUNK):
        chunk = ids[start : start + REINDEX_CHUNK]
        bodies: dict[int, list[str]] = {pk: [] for pk in chunk}
        notes: dict[int, list[str]] = {pk: [] for pk in chunk}
        # one query for all their messages, in the messages' own order (created_at, id)
        for ticket_id, kind, text in Message.objects.filter(
            ticket_id__in=chunk, kind__in=(MessageKind.PUBLIC, MessageKind.INTERNAL)
        ).values_list("ticket_id", "kind", "body_text"):
            (bodies if kind == MessageKind.PUBLIC else notes)[ticket_id].append(text)
        rows = []
        for ticket in Ticket.objects.filter(pk__in=chunk).select_related("customer"):
            customer = f"{ticket.customer.name} {ticket.customer.email} {ticket.customer.phone}"
            rows.append(
                (ticket.pk, *search.document(ticket.subject, customer, bodies[ticket.pk], notes[ticket.pk]))
            )
        search.upsert_rows(rows)


def _touch(ticket: Ticket, **fields: Any) -> None:
    fields.setdefault("updated_at", now())
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(ticket, name, value)
