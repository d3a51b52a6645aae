"""Customers hear about replies and status changes, whatever channel they wrote through.

The `mail.notices` event handler reacts to an agent's public reply (REPLIED) and to the status
changes a customer should know about (solved, waiting for them = pending, reopened by staff):

- the bell: a `Notification` for the customer's portal user at once (kept whatever the mail setting);
- a mail: the event's item is added to the ticket's pending `CustomerNotice`, whose `not_before` moves
  on with each item (BURST, at most MAX_HOLD after the first), so a burst of replies is one mail.
  `send_due` (every minute, safe on many workers: each row is claimed with a compare-and-set) turns a
  due notice into an `OutboxMail` of kind NOTICE, which the outbox sends, retries and shows on the
  ticket like every other mail.

Email tickets already get each agent reply as a mail of its own (`outbound.on_replied`): a notice for
one carries only its status changes (solved, pending, reopened), never the reply a second time.

Loop protection (FAULTS E2): a notice is marked `Auto-Submitted: auto-generated`; it is sent only
because a person (or a rule) acted on the ticket, never in answer to a mail; an address that bounced
(`BouncedAddress`, written when a notice fails with a 5xx or a DSN comes back) gets no more notices;
at most NOTICES_PER_ADDRESS_HOUR notice mails go to one address an hour (the rest wait, coalesced).
A customer who turned mail off in the portal (`Customer.notify_by_mail`) gets none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import linebreaks, urlize
from django.utils.translation import gettext as _

from kefu.accounts.services import notify
from kefu.core.clock import now
from kefu.tickets.models import Channel, EventKind, Message, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES, Status
from kefu.tickets.views_portal import ticket_link_path

from .models import (
    BouncedAddress,
    CustomerNotice,
    KnownMessageId,
    NoticeState,
    OutboxKind,
    OutboxMail,
)
from .outbound import _domain, _new_outbox, _subject, mailbox_for

log = logging.getLogger("kefu.mail")

BURST = timedelta(minutes=3)  # replies closer together than this share one mail
MAX_HOLD = timedelta(minutes=15)  # a steady trickle of replies still goes out
NOTICES_PER_ADDRESS_HOUR = 10
REPLY, STATUS = "reply", "status"
REOPENED = "reopened"


# --------------------------------------------------------------------------- the event handler


def on_event(event_id: int) -> None:
    """Event handler: tell the ticket's customer about a reply or a status change (bell and mail)."""
    event = (
        TicketEvent.objects.select_related("ticket__customer__user", "message", "actor")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return
    item = _item(event)
    if item is None or event.ticket.merged_into_id:
        return
    ticket = event.ticket
    _ring_bell(ticket, event, item)
    if _mail_wanted(ticket, item):
        add_to_notice(ticket, item)


def _item(event: TicketEvent) -> dict[str, Any] | None:
    """What the customer should hear about this event, or None."""
    if event.kind == EventKind.REPLIED:
        message = event.message
        if message is None or not message.is_public or message.from_customer:
            return None
        return {"event": event.pk, "kind": REPLY, "message": message.pk}
    if event.kind != EventKind.CHANGED or event.field != "status":
        return None
    actor = event.actor
    if actor is not None and not (actor.is_agent or actor.is_superuser):
        return None  # the customer did it: they know
    if event.new_value in (Status.SOLVED, Status.PENDING):
        return {"event": event.pk, "kind": STATUS, "status": event.new_value}
    if event.new_value == Status.OPEN and event.old_value in DONE_STATUSES and actor is not None:
        # reopened by staff; a reopen without an actor is the customer's own mail or chat line
        return {"event": event.pk, "kind": STATUS, "status": REOPENED}
    return None


def _mail_wanted(ticket: Ticket, item: dict[str, Any]) -> bool:
    customer = ticket.customer
    if not (customer.email or "").strip() or not customer.notify_by_mail:
        return False
    if item["kind"] == REPLY and ticket.channel == Channel.EMAIL:
        return False  # outbound.on_replied mails the reply itself
    if BouncedAddress.objects.filter(email__iexact=customer.email.strip()).exists():
        log.info("no notice for %s: the customer's address is undeliverable", ticket.number)
        return False
    return True


def _ring_bell(ticket: Ticket, event: TicketEvent, item: dict[str, Any]) -> None:
    user = ticket.customer.user
    if user is None or not user.is_customer or not user.is_active:
        return
    with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
        text = headline(ticket, item)
    notify(
        [user],
        kind="ticket_notice",
        text=text,
        url=reverse("portal:ticket", kwargs={"pk": ticket.pk}),
        dedupe_key=f"ticket-notice:{event.pk}",
    )


def headline(ticket: Ticket, item: dict[str, Any]) -> str:
    """One line about one item, in the active language (the bell's text, the mail's headings)."""
    values = {"number": ticket.number, "subject": " ".join(ticket.subject.split())[:80]}
    if item["kind"] == REPLY:
        return _("Customer service answered your request %(number)s “%(subject)s”") % values
    if item["status"] == Status.SOLVED:
        return _("Your request %(number)s “%(subject)s” was solved") % values
    if item["status"] == Status.PENDING:
        return _("Your request %(number)s “%(subject)s” is waiting for your reply") % values
    return _("Your request %(number)s “%(subject)s” was reopened") % values


# --------------------------------------------------------------------------- coalescing


def add_to_notice(ticket: Ticket, item: dict[str, Any]) -> CustomerNotice:
    """Add an item to the ticket's pending notice (made if none), moving its send time on.

    Compare-and-set on `version`; a notice claimed by the sender meanwhile is left alone and a new
    one is started (the partial unique constraint keeps one pending notice per ticket).
    """
    for _attempt in range(5):
        current = now()
        row = CustomerNotice.objects.filter(ticket=ticket, state=NoticeState.PENDING).first()
        if row is None:
            try:
                with transaction.atomic():
                    return CustomerNotice.objects.create(
                        ticket=ticket, items=[item], not_before=current + BURST, first_at=current
                    )
            except IntegrityError:
                continue  # another event of the same ticket started it first
        if any(i.get("event") == item["event"] for i in row.items):
            return row
        won = CustomerNotice.objects.filter(pk=row.pk, state=NoticeState.PENDING, version=row.version).update(
            items=[*row.items, item],
            not_before=min(current + BURST, row.first_at + MAX_HOLD),
            version=F("version") + 1,
        )
        if won:
            row.refresh_from_db()
            return row
    raise RuntimeError(f"could not add to the notice of ticket {ticket.pk}")  # the sweeper retries


# --------------------------------------------------------------------------- sending


def send_due(limit: int = 200) -> int:
    """Turn every due notice into an outgoing mail; returns how many were queued."""
    ids = list(
        CustomerNotice.objects.filter(state=NoticeState.PENDING, not_before__lte=now())
        .order_by("not_before")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if flush(pk) is not None)


@transaction.atomic
def flush(notice_id: int) -> OutboxMail | None:
    """Queue the mail of one due notice (once: the row is claimed with a compare-and-set)."""
    row = CustomerNotice.objects.select_related("ticket__customer").filter(pk=notice_id).first()
    if row is None or row.state != NoticeState.PENDING:
        return None
    ticket, customer = row.ticket, row.ticket.customer
    to = (customer.email or "").strip()
    if to and _over_address_cap(to):
        # a storm brake: the notice keeps collecting and tries again later
        CustomerNotice.objects.filter(pk=row.pk, state=NoticeState.PENDING).update(not_before=now() + BURST)
        return None
    if not CustomerNotice.objects.filter(pk=row.pk, state=NoticeState.PENDING, not_before__lte=now()).update(
        state=NoticeState.QUEUED
    ):
        return None
    reason = _refusal(ticket, to)
    if reason:
        CustomerNotice.objects.filter(pk=row.pk).update(state=NoticeState.SKIPPED, reason=reason)
        return None
    entries = _entries(ticket, row.items)
    if not entries:
        CustomerNotice.objects.filter(pk=row.pk).update(state=NoticeState.SKIPPED, reason="nothing to say")
        return None
    mailbox = mailbox_for(ticket)
    _ensure_thread_root(ticket, mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL)
    text, html = _render(ticket, entries)
    outbox = _new_outbox(
        ticket,
        mailbox=mailbox,
        kind=OutboxKind.NOTICE,
        to=to,
        subject=_subject(ticket),
        text=text,
        html=html,
    )
    CustomerNotice.objects.filter(pk=row.pk).update(outbox=outbox)
    return outbox


def _over_address_cap(to: str) -> bool:
    sent = OutboxMail.objects.filter(
        kind=OutboxKind.NOTICE, to__iexact=to, created_at__gte=now() - timedelta(hours=1)
    ).count()
    return sent >= NOTICES_PER_ADDRESS_HOUR


def _refusal(ticket: Ticket, to: str) -> str:
    """Why this notice must not go out now (things may have changed since the events), or ""."""
    if not to:
        return "no address"
    if not ticket.customer.notify_by_mail:
        return "mail turned off by the customer"
    if BouncedAddress.objects.filter(email__iexact=to).exists():
        return "address undeliverable"
    return ""


def thread_root(ticket: Ticket, from_email: str) -> str:
    """The Message-ID every notice of a ticket without mail of its own threads under."""
    return f"kefu.ticket.{ticket.pk}.{ticket.number.lower()}@{_domain(from_email)}"


def _ensure_thread_root(ticket: Ticket, from_email: str) -> None:
    """A ticket that never had a mail gets a fixed root id, so that all its notices are one thread
    in the customer's mail program and an answer to any of them finds the ticket (KnownMessageId)."""
    if KnownMessageId.objects.filter(ticket_id=ticket.pk).exists():
        return
    KnownMessageId.objects.get_or_create(
        message_id=thread_root(ticket, from_email),
        defaults={"ticket_id": ticket.pk, "outbound": True, "recipient": ticket.customer.email[:254]},
    )


@dataclass
class Entry:
    heading: str
    when: datetime
    text: str  # the reply's words ("" for a status change)
    author: str


def _entries(ticket: Ticket, items: list[dict[str, Any]]) -> list[Entry]:
    language = ticket.customer.language or settings.LANGUAGE_CODE
    events = TicketEvent.objects.in_bulk([i["event"] for i in items])
    messages = Message.objects.select_related("author").in_bulk(
        [i["message"] for i in items if i.get("message")]
    )
    entries = []
    with translation.override(language):
        for item in items:
            event = events.get(item["event"])
            if event is None:
                continue
            if item["kind"] == REPLY:
                message = messages.get(item.get("message"))
                if message is None or not message.is_public:
                    continue
                author = message.author.name if message.author else settings.KEFU_COMPANY
                entries.append(Entry(headline(ticket, item), message.created_at, message.body_text, author))
            else:
                entries.append(Entry(headline(ticket, item), event.created_at, "", ""))
    return entries


def _render(ticket: Ticket, entries: list[Entry]) -> tuple[str, str]:
    customer = ticket.customer
    base = settings.BASE_URL.rstrip("/")
    language = customer.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {
            "name": customer.name or customer.email,
            "number": ticket.number,
            "subject": " ".join(ticket.subject.split())[:120],
            "entries": [
                {
                    "heading": e.heading,
                    "when": formats.date_format(timezone.localtime(e.when), "SHORT_DATETIME_FORMAT"),
                    "text": e.text.strip(),
                    "author": e.author,
                }
                for e in entries
            ],
            "link": base + ticket_link_path(ticket),
            "settings_link": base + reverse("portal:notice_settings") if customer.user_id else "",
            "company": settings.KEFU_COMPANY,
            "hotline": settings.KEFU_HOTLINE,
            "token": f"[#{ticket.number}]",
        }
        text = render_to_string("mail/notice_body.txt", context)
    return text, linebreaks(urlize(text, autoescape=True), autoescape=False)


# --------------------------------------------------------------------------- failures


def record_undeliverable(row: OutboxMail, *, reason: str) -> None:
    """A notice failed for good: the address is marked, so no further notice tries it (no storm)."""
    if row.kind != OutboxKind.NOTICE or not row.to:
        return
    code = next((w for w in reason.replace(":", " ").split() if len(w) == 3 and w.startswith("5")), "5xx")
    BouncedAddress.objects.get_or_create(
        email=row.to[:254], defaults={"status": code, "ticket_id": row.ticket_id}
    )
