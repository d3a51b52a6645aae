"""Opening a ticket and talking on it: replies and internal notes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core import events
from kefu.core.clock import now
from kefu.core.sanitize import clean_html, html_from_text
from kefu.customers.models import Customer
from kefu.tickets.errors import FormAlreadySent, InvalidTransition, ValidationFailed
from kefu.tickets.models import (
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
    TicketType,
    find_order_ref,
)
from kefu.tickets.services.common import (
    BODY_MAX,
    SUBJECT_MAX,
    Upload,
    _attachment_rows,
    _check_text,
    _event,
    _event_row,
    _store_attachments,
    _touch,
    reindex,
)
from kefu.tickets.states import Status

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
    body_html_clean: bool = False,
    body_text_html: str = "",
    attachments: Sequence[Upload] = (),
    external_id: str = "",
    tags: Sequence[str] = (),
) -> Created:
    """A new ticket with its first message. `body_html_clean`: the caller has already sanitised
    `body_html` with `kefu.core.sanitize`'s allow-list (the mail parser does), so it is stored as
    it is instead of being sanitised again. `body_text_html`: `html_from_text(body)`, if the
    caller has made it already (the mail parser does, in its own process); used without body_html."""
    subject, body = _checked_new(subject=subject, body=body, channel=channel, type=type, priority=priority)
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
        order_ref=find_order_ref(f"{subject}\n{body}"),
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
        body_html=_html(body_html, body, clean=body_html_clean, text_html=body_text_html),
        external_id=external_id[:255],
    )
    _event(ticket, EventKind.CREATED, by=by, new=ticket.number, message=message)
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Created(ticket, message, rejected)


def _checked_new(*, subject: str, body: str, channel: str, type: str, priority: str) -> tuple[str, str]:
    subject = _check_text(subject, field="subject", maximum=SUBJECT_MAX)
    body = _check_text(body, field="body", maximum=BODY_MAX)
    if channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    if type not in TicketType.values:
        raise ValidationFailed(_("Unknown ticket type."), field="type")
    if priority not in Priority.values:
        raise ValidationFailed(_("Unknown priority."), field="priority")
    return subject, body


@dataclass(frozen=True)
class NewTicket:
    """One ticket of `open_tickets()`: the arguments of `open_ticket(by=None)` (no tags)."""

    customer: Customer
    subject: str
    body: str
    channel: str = Channel.WEB
    type: str = TicketType.CONSULTATION
    priority: str = Priority.NORMAL
    category: Category | None = None
    team: Team | None = None
    body_html: str = ""
    body_html_clean: bool = False
    body_text_html: str = ""
    attachments: Sequence[Upload] = ()
    external_id: str = ""


def open_new(new: NewTicket, *, by: User | None) -> Created:
    """`open_ticket` with the arguments held in a NewTicket."""
    return open_ticket(by=by, **{f.name: getattr(new, f.name) for f in fields(new)})


@transaction.atomic
def open_tickets(new: Sequence[NewTicket]) -> list[Created]:
    """`open_ticket(by=None)` for each, in turn, written with one INSERT per table (a bulk load:
    a mail archive import). The rows, their ids and order, the events and what is published are
    those of the calls one by one; all or nothing (a bad one raises, as `open_ticket` would, and
    nothing of the others stays)."""
    if not connection.features.can_return_rows_from_bulk_insert:  # the ids are needed below
        return [open_new(n, by=None) for n in new]
    texts = [
        _checked_new(subject=n.subject, body=n.body, channel=n.channel, type=n.type, priority=n.priority)
        for n in new
    ]
    tickets = [
        Ticket(
            subject=subject,
            customer=n.customer,
            channel=n.channel,
            type=n.type,
            priority=n.priority,
            category=n.category,
            team=n.team,
            last_message_at=now(),
            order_ref=find_order_ref(f"{subject}\n{body}"),
        )
        for n, (subject, body) in zip(new, texts, strict=True)
    ]
    Ticket.objects.bulk_create(tickets)
    messages = [
        Message(
            ticket=ticket,
            kind=MessageKind.PUBLIC,
            author=None,
            from_customer=True,
            channel=n.channel,
            body_text=body,
            body_html=_html(n.body_html, body, clean=n.body_html_clean, text_html=n.body_text_html),
            external_id=n.external_id[:255],
        )
        for n, ticket, (_subject, body) in zip(new, tickets, texts, strict=True)
    ]
    Message.objects.bulk_create(messages)
    # the events in the order open_ticket writes them: "created", then each rejected attachment
    log: list[TicketEvent] = []
    files: list[Attachment] = []
    rejected: list[list[str]] = []
    for n, ticket, message in zip(new, tickets, messages, strict=True):
        log.append(_event_row(ticket, EventKind.CREATED, new=ticket.number, message=message))
        rejected.append(_attachment_rows(ticket, message, n.attachments, log, files))
    TicketEvent.objects.bulk_create(log)
    for event in log:
        events.publish(event.pk)
    Attachment.objects.bulk_create(files)
    reindex([ticket.pk for ticket in tickets])
    return [
        Created(ticket, message, r) for ticket, message, r in zip(tickets, messages, rejected, strict=True)
    ]


def _html(body_html: str, body: str, *, clean: bool = False, text_html: str = "") -> str:
    if not body_html:
        return text_html or html_from_text(body)
    return body_html if clean else clean_html(body_html)


@dataclass
class Posted:
    message: Message
    rejected: list[str]
    # True when the same form was sent before: `message` is the first one, nothing was written.
    repeated: bool = False


# --------------------------------------------------------------------------- one-time form tokens
#
# A form that posts a message carries a token issued when the page was rendered. The message is
# stored with `submission_key(...)` as its external id, so the unique (channel, external_id)
# constraint lets one insert win: a double click, a retry or N concurrent posts of the same form
# make one message, and the repeats get the first one back (`Posted.repeated`). The message and its
# key commit together, so there is no "pending" state to clean up.

FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


def new_form_token() -> str:
    """A fresh one-time token for a form that posts a message (a hidden field)."""
    return secrets.token_hex(16)


def submission_key(form: str, *, ticket: Ticket, by: User, token: str) -> str:
    """The external id of the message one form submission makes; "" when the token is missing or
    malformed (the post still works, it just cannot be recognised when repeated)."""
    if not FORM_TOKEN.fullmatch(token or ""):
        return ""
    return f"{form}:{by.pk}:{ticket.pk}:{token}"


def _insert(submission: str, body: str, **values: Any) -> tuple[Message, bool]:
    """Insert a message; with a submission key, a repeat of the key returns the first message."""
    if not submission:
        return Message.objects.create(body_text=body, **values), False
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives the duplicate
            return Message.objects.create(body_text=body, external_id=submission, **values), False
    except IntegrityError:
        first = Message.objects.filter(channel=values["channel"], external_id=submission).first()
        if first is None:
            raise
    if first.body_text != body:
        raise FormAlreadySent(
            _(
                "This form was already sent with another text. Your text is kept below: send it "
                "again to post it as a new message."
            ),
            field="body",
        )
    return first, True


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
    automated: bool = False,
    submission: str = "",
) -> Posted:
    """A public message on the ticket: from an agent (a reply) or from the customer (a follow-up).

    `automated`: sent by a rule (an auto-receipt, a reminder), not written by a person: it neither
    counts as the first response nor makes its sender the first-contact owner (首问负责人).
    `submission`: the form's `submission_key`; the same key again changes nothing and answers the
    first message with `repeated=True` (a different text with it raises FormAlreadySent).
    """
    body = _check_text(body, field="body", maximum=BODY_MAX)
    _not_merged(ticket)
    if not by.is_agent:
        return _customer_message(
            ticket,
            body=body,
            author=by,
            channel=channel or Channel.WEB,
            body_html=body_html,
            attachments=attachments,
            external_id=external_id,
            reopen=True,
            submission=submission,
        )
    current = now()
    message, repeated = _insert(
        submission,
        body,
        ticket=ticket,
        kind=MessageKind.PUBLIC,
        author=by,
        from_customer=False,
        channel=channel or ticket.channel,
        body_html=clean_html(body_html) if body_html else html_from_text(body),
        **({} if submission else {"external_id": external_id[:255]}),
    )
    if repeated:
        return Posted(message, [], repeated=True)
    changes: dict[str, Any] = {"last_message_at": current}
    _event(ticket, EventKind.REPLIED, by=by, message=message)
    if not automated:
        if ticket.first_response_at is None:
            changes["first_response_at"] = current
        if ticket.first_contact_owner_id is None:
            changes["first_contact_owner"] = by
            _event(ticket, EventKind.CHANGED, by=by, field="first_contact_owner", new=by.name)
        if ticket.status == Status.NEW:
            changes["status"] = Status.OPEN
            _event(ticket, EventKind.CHANGED, by=by, field="status", old=Status.NEW, new=Status.OPEN)
    return _finish_message(ticket, message, changes, attachments, by)


@transaction.atomic
def customer_follow_up(
    ticket: Ticket,
    *,
    body: str,
    channel: str,
    body_html: str = "",
    body_html_clean: bool = False,
    body_text_html: str = "",
    attachments: Sequence[Upload] = (),
    external_id: str = "",
    automatic: bool = False,
) -> Posted:
    """A public message from the ticket's customer who has no login (an email, a chat line, a call).

    `automatic` for automatic mail (an out-of-office answer): it is kept on the ticket but neither
    reopens it nor counts as the customer's reply — its event is AUTO_RECEIVED, so "customer
    replied" triggers and the next-response clock ignore it (RFC 3834, FAULTS E1).
    `body_html_clean`, `body_text_html`: as for `open_ticket`.
    """
    body = _check_text(body, field="body", maximum=BODY_MAX)
    _not_merged(ticket)
    return _customer_message(
        ticket,
        body=body,
        author=None,
        channel=channel,
        body_html=body_html,
        body_html_clean=body_html_clean,
        body_text_html=body_text_html,
        attachments=attachments,
        external_id=external_id,
        reopen=not automatic,
        automatic=automatic,
    )


def _not_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id:
        raise InvalidTransition(_("This ticket was merged into %(n)s.") % {"n": ticket.merged_into.number})


def _customer_message(
    ticket: Ticket,
    *,
    body: str,
    author: User | None,
    channel: str,
    body_html: str,
    attachments: Sequence[Upload],
    external_id: str,
    reopen: bool,
    body_html_clean: bool = False,
    body_text_html: str = "",
    submission: str = "",
    automatic: bool = False,
) -> Posted:
    message, repeated = _insert(
        submission,
        body,
        ticket=ticket,
        kind=MessageKind.PUBLIC,
        author=author,
        from_customer=True,
        channel=channel,
        body_html=_html(body_html, body, clean=body_html_clean, text_html=body_text_html),
        **({} if submission else {"external_id": external_id[:255]}),
    )
    if repeated:
        return Posted(message, [], repeated=True)
    changes: dict[str, Any] = {"last_message_at": now()}
    kind = EventKind.AUTO_RECEIVED if automatic else EventKind.CUSTOMER_REPLIED
    _event(ticket, kind, by=author, message=message)
    if reopen and ticket.status in (Status.PENDING, Status.SOLVED, Status.CLOSED):
        changes["status"] = Status.OPEN
        _event(ticket, EventKind.CHANGED, by=author, field="status", old=ticket.status, new=Status.OPEN)
        changes["solved_at"] = None
        changes["closed_at"] = None
    return _finish_message(ticket, message, changes, attachments, author)


def _finish_message(
    ticket: Ticket, message: Message, changes: dict[str, Any], attachments: Sequence[Upload], by: User | None
) -> Posted:
    if "status" in changes:
        changes["version"] = F("version") + 1
    _touch(ticket, **changes)
    if "status" in changes:
        ticket.refresh_from_db(fields=["version"])
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Posted(message, rejected)


@transaction.atomic
def add_note(
    ticket: Ticket, *, body: str, by: User, attachments: Sequence[Upload] = (), submission: str = ""
) -> Posted:
    """An internal note: agents and department members only, never shown to the customer.

    `submission`: as for `reply`, the same form sent twice makes one note."""
    if not (by.is_agent or by.is_department_member):
        raise ValidationFailed(_("Only staff can add internal notes."), field="body")
    body = _check_text(body, field="body", maximum=BODY_MAX)
    message, repeated = _insert(
        submission,
        body,
        ticket=ticket,
        kind=MessageKind.INTERNAL,
        author=by,
        body_html=html_from_text(body),
        channel=ticket.channel,
    )
    if repeated:
        return Posted(message, [], repeated=True)
    _event(ticket, EventKind.NOTED, by=by, message=message)
    _touch(ticket)
    rejected = _store_attachments(ticket, message, attachments, by)
    reindex([ticket.pk])
    return Posted(message, rejected)
