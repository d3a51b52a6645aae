"""Use cases that change tickets. Each is one transaction and writes its TicketEvents."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils.formats import date_format
from django.utils.text import get_valid_filename
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Team, User
from kefu.core import events
from kefu.core.clock import now
from kefu.core.sanitize import clean_html, html_from_text
from kefu.customers.models import Customer

from . import search
from .errors import AttachmentRejected, InvalidTransition, StaleVersion, ValidationFailed
from .models import (
    Attachment,
    Category,
    Channel,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketShare,
    TicketType,
)
from .states import DONE_STATUSES, Status, can_transition

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
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=by if by and by.pk else None,
        kind=kind,
        field=field,
        old_value=str(old if old is not None else "")[:300],
        new_value=str(new if new is not None else "")[:300],
        message=message,
    )
    events.publish(event.pk)
    return event


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
    """The safe filename for an upload, or AttachmentRejected with the reason."""
    name = get_valid_filename((upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1])[:200] or "file"
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
        attachment.file.save(name, ContentFile(upload.content), save=False)
        attachment.save()
    return rejected


def reindex(ticket_ids: Sequence[int]) -> None:
    """Rebuild the search rows of these tickets from their subject, customer and public messages."""
    tickets = Ticket.objects.filter(pk__in=ticket_ids).select_related("customer")
    rows = []
    for ticket in tickets:
        bodies = ticket.messages.filter(kind=MessageKind.PUBLIC).values_list("body_text", flat=True)
        notes = ticket.messages.filter(kind=MessageKind.INTERNAL).values_list("body_text", flat=True)
        customer = f"{ticket.customer.name} {ticket.customer.email} {ticket.customer.phone}"
        rows.append((ticket.pk, *search.document(ticket.subject, customer, bodies, notes)))
    search.upsert_rows(rows)


def _touch(ticket: Ticket, **fields: Any) -> None:
    fields.setdefault("updated_at", now())
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(ticket, name, value)


# --------------------------------------------------------------------------- create and converse


@dataclass
class Created:
    ticket: Ticket
    message: Message
    rejected: list[str]


@transaction.atomic
def open_ticket(
    *,
    customer: Customer,
    subject: str,
    body: str,
    by: User | None,
    channel: str = Channel.WEB,
    type: str = TicketType.CONSULTATION,
    priority: str = Priority.NORMAL,
    category: Category | None = None,
    team: Team | None = None,
    body_html: str = "",
    attachments: Sequence[Upload] = (),
    external_id: str = "",
    tags: Sequence[str] = (),
) -> Created:
    subject = _check_text(subject, field="subject", maximum=SUBJECT_MAX)
    body = _check_text(body, field="body", maximum=BODY_MAX)
    if channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    if type not in TicketType.values:
        raise ValidationFailed(_("Unknown ticket type."), field="type")
    if priority not in Priority.values:
        raise ValidationFailed(_("Unknown priority."), field="priority")
    current = now()
    ticket = Ticket.objects.create(
        subject=subject,
        customer=customer,
        channel=channel,
        type=type,
        priority=priority,
        category=category,
        team=team,
        last_message_at=current,
    )
    if tags:
        ticket.tags.set([Tag.objects.get_or_create(name=t.strip()[:50])[0] for t in tags if t.strip()])
    from_customer = by is None or not by.is_agent
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.PUBLIC,
        author=by if by and by.pk else None,
        from_customer=from_customer,
        channel=channel,
        body_text=body,
        body_html=clean_html(body_html) if body_html else html_from_text(body),
        external_id=external_id[:255],
    )
    _event(ticket, EventKind.CREATED, by=by, new=ticket.number, message=message)
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Created(ticket, message, rejected)


@dataclass
class Posted:
    message: Message
    rejected: list[str]


@transaction.atomic
def reply(
    ticket: Ticket,
    *,
    body: str,
    by: User,
    attachments: Sequence[Upload] = (),
    body_html: str = "",
    channel: str | None = None,
    external_id: str = "",
) -> Posted:
    """A public message on the ticket: from an agent (a reply) or from the customer (a follow-up)."""
    body = _check_text(body, field="body", maximum=BODY_MAX)
    if ticket.merged_into_id:
        raise InvalidTransition(_("This ticket was merged into %(n)s.") % {"n": ticket.merged_into.number})
    current = now()
    agent = by.is_agent
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.PUBLIC,
        author=by,
        from_customer=not agent,
        channel=channel or (Channel.WEB if not agent else ticket.channel),
        body_text=body,
        body_html=clean_html(body_html) if body_html else html_from_text(body),
        external_id=external_id[:255],
    )
    changes: dict[str, Any] = {"last_message_at": current}
    if agent:
        _event(ticket, EventKind.REPLIED, by=by, message=message)
        if ticket.first_response_at is None:
            changes["first_response_at"] = current
        if ticket.first_contact_owner_id is None:
            changes["first_contact_owner"] = by
            _event(ticket, EventKind.CHANGED, by=by, field="first_contact_owner", new=by.name)
        if ticket.status == Status.NEW:
            changes["status"] = Status.OPEN
            _event(ticket, EventKind.CHANGED, by=by, field="status", old=Status.NEW, new=Status.OPEN)
    else:
        _event(ticket, EventKind.CUSTOMER_REPLIED, by=by, message=message)
        if ticket.status in (Status.PENDING, Status.SOLVED, Status.CLOSED):
            changes["status"] = Status.OPEN
            _event(ticket, EventKind.CHANGED, by=by, field="status", old=ticket.status, new=Status.OPEN)
            changes["solved_at"] = None
            changes["closed_at"] = None
    if "status" in changes:
        changes["version"] = F("version") + 1
    _touch(ticket, **changes)
    if "status" in changes:
        ticket.refresh_from_db(fields=["version"])
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Posted(message, rejected)


@transaction.atomic
def add_note(ticket: Ticket, *, body: str, by: User, attachments: Sequence[Upload] = ()) -> Posted:
    """An internal note: agents and department members only, never shown to the customer."""
    if not (by.is_agent or by.is_department_member):
        raise ValidationFailed(_("Only staff can add internal notes."), field="body")
    body = _check_text(body, field="body", maximum=BODY_MAX)
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.INTERNAL,
        author=by,
        body_text=body,
        body_html=html_from_text(body),
        channel=ticket.channel,
    )
    _event(ticket, EventKind.NOTED, by=by, message=message)
    _touch(ticket)
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Posted(message, rejected)


# --------------------------------------------------------------------------- field changes


def _stale(ticket: Ticket) -> StaleVersion:
    from .selectors import last_change

    fresh = Ticket.objects.filter(pk=ticket.pk).values("version").first() or {"version": 0}
    change = last_change(ticket)
    who = change.actor.name if change and change.actor else _("someone")
    when = date_format(localtime(change.created_at), "H:i") if change else ""
    return StaleVersion(
        _("This ticket was changed by %(who)s at %(when)s. Reload to see the new state.")
        % {"who": who, "when": when},
        field="version",
        current_version=fresh["version"],
        changed_by=who,
        changed_at=when,
    )


EDITABLE = ("status", "priority", "type", "category", "assignee", "team", "subject", "tags")


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.name
    return str(value)


@transaction.atomic
def update_ticket(
    ticket: Ticket, *, by: User, version: int | None, customer_action: bool = False, **changes: Any
) -> Ticket:
    """Change fields with compare-and-set on `version`: a stale edit raises StaleVersion, never overwrites.

    `changes` takes status, priority, type, category (Category|None), assignee (User|None),
    team (Team|None), subject, tags (list of names). Only real differences are written.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    if version is None:
        version = ticket.version
    elif version != ticket.version:
        # A form loaded before someone else's change is judged against the state its author saw:
        # answer the conflict first, not a transition error computed from the newer state.
        raise _stale(ticket)
    updates: dict[str, Any] = {}
    log: list[tuple[str, str, Any, Any]] = []
    tags = changes.pop("tags", None)
    for name, value in changes.items():
        old = getattr(ticket, name)
        if name == "status":
            if value not in Status.values:
                raise ValidationFailed(_("Unknown status."), field="status")
            if value == old:
                continue
            if not can_transition(old, value, customer=customer_action):
                raise InvalidTransition(
                    _("A ticket cannot go from %(old)s to %(new)s.")
                    % {"old": Status(old).label, "new": Status(value).label},
                    field="status",
                )
            updates["status"] = value
            current = now()
            if value == Status.SOLVED:
                updates["solved_at"] = current
            elif value == Status.CLOSED:
                updates["closed_at"] = current
                if not ticket.solved_at:
                    updates["solved_at"] = current
            elif old in DONE_STATUSES:
                updates["solved_at"] = None
                updates["closed_at"] = None
            log.append((EventKind.CHANGED, name, old, value))  # raw values; labels are shown per reader
            continue
        if name == "priority" and value not in Priority.values:
            raise ValidationFailed(_("Unknown priority."), field="priority")
        if name == "type" and value not in TicketType.values:
            raise ValidationFailed(_("Unknown ticket type."), field="type")
        if name == "subject":
            value = _check_text(value, field="subject", maximum=SUBJECT_MAX)
        if name == "assignee" and value is not None and not value.is_agent:
            raise ValidationFailed(_("Tickets can only be assigned to agents."), field="assignee")
        if value == old:
            continue
        updates[name] = value
        kind = EventKind.ASSIGNED if name == "assignee" else EventKind.CHANGED
        log.append((kind, name, _display(old), _display(value)))
    if not updates and tags is None:
        return ticket
    updates["version"] = F("version") + 1
    updates["updated_at"] = now()
    won = Ticket.objects.filter(pk=ticket.pk, version=version).update(**updates)
    if not won:
        raise _stale(ticket)
    for kind, name, old, new in log:
        _event(ticket, kind, by=by, field=name, old=old, new=new)
    if tags is not None:
        names = sorted({t.strip()[:50] for t in tags if t and t.strip()})
        before = sorted(ticket.tags.values_list("name", flat=True))
        if names != before:
            ticket.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])
            _event(
                ticket, EventKind.CHANGED, by=by, field="tags", old=", ".join(before), new=", ".join(names)
            )
    ticket.refresh_from_db()
    if "subject" in updates:
        reindex([ticket.pk])
    return ticket


def assign(ticket: Ticket, *, to: User | None, by: User, version: int | None = None) -> Ticket:
    return update_ticket(ticket, by=by, version=version, assignee=to)


def change_status(ticket: Ticket, *, to: str, by: User, version: int | None = None) -> Ticket:
    return update_ticket(ticket, by=by, version=version, customer_action=not by.is_agent, status=to)


@transaction.atomic
def merge(source: Ticket, *, into: Ticket, by: User) -> Ticket:
    """Move messages, attachments and events of `source` into `into`; source points to the survivor."""
    if source.pk == into.pk:
        raise ValidationFailed(_("A ticket cannot be merged into itself."), field="into")
    if into.merged_into_id:
        raise ValidationFailed(_("The target ticket was itself merged."), field="into")
    if source.merged_into_id:
        raise InvalidTransition(_("This ticket was already merged."), field="into")
    Message.objects.filter(ticket=source).update(ticket=into)
    Attachment.objects.filter(ticket=source).update(ticket=into)
    TicketEvent.objects.filter(ticket=source).update(ticket=into)
    won = Ticket.objects.filter(pk=source.pk, merged_into__isnull=True).update(
        merged_into=into, status=Status.CLOSED, closed_at=now(), updated_at=now(), version=F("version") + 1
    )
    if not won:
        raise InvalidTransition(_("This ticket was already merged."), field="into")
    _event(into, EventKind.MERGED_IN, by=by, old=source.number, new=into.number)
    _event(source, EventKind.MERGED, by=by, old=source.number, new=into.number)
    _touch(into, version=F("version") + 1)
    search.delete_rows([source.pk])
    reindex([into.pk])
    into.refresh_from_db()
    return into


@transaction.atomic
def link(ticket: Ticket, *, to: Ticket, by: User) -> TicketLink:
    if ticket.pk == to.pk:
        raise ValidationFailed(_("A ticket cannot be linked to itself."), field="to")
    a, b = sorted([ticket, to], key=lambda t: t.pk)
    item, created = TicketLink.objects.get_or_create(source=a, target=b, defaults={"created_by": by})
    if created:
        _event(ticket, EventKind.LINKED, by=by, new=to.number)
        _event(to, EventKind.LINKED, by=by, new=ticket.number)
    return item


@transaction.atomic
def set_parent(ticket: Ticket, *, parent: Ticket | None, by: User) -> Ticket:
    if parent is not None:
        if parent.pk == ticket.pk:
            raise ValidationFailed(_("A ticket cannot be its own parent."), field="parent")
        cursor, depth = parent, 0
        while cursor.parent_id and depth < 50:
            if cursor.parent_id == ticket.pk:
                raise ValidationFailed(_("That would make a cycle of parents."), field="parent")
            cursor = cursor.parent
            depth += 1
    old = ticket.parent.number if ticket.parent_id else ""
    _touch(ticket, parent=parent)
    _event(ticket, EventKind.CHANGED, by=by, field="parent", old=old, new=parent.number if parent else "")
    return ticket


@transaction.atomic
def share_with_department(ticket: Ticket, *, department: Department, by: User) -> TicketShare:
    share, created = TicketShare.objects.get_or_create(
        ticket=ticket, department=department, defaults={"created_by": by}
    )
    if created:
        _event(ticket, EventKind.SHARED, by=by, new=department.name)
    return share
