"""The channel-neutral inbound pipeline: one `InboundMessage` in, a ticket or a follow-up out."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils.translation import gettext

from kefu.accounts.models import Role, Team, User
from kefu.accounts.services import create_user
from kefu.core.automail import AUTOMATIC, send_templated
from kefu.core.clock import now
from kefu.customers.models import Customer
from kefu.customers.services import (
    customer_batch,
    find_or_create_customer,
    forget_on_rollback,
    normalise_email,
    prefetch_customers,
)
from kefu.tickets import services as tickets
from kefu.tickets.models import Category, Channel, Message, Ticket
from kefu.tickets.selectors import access_ticket
from kefu.tickets.services import Upload
from kefu.tickets.states import Status

from .errors import LinkInvalid
from .models import ContactRequest, InboundState, RawInbound


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    external_id: str  # idempotency key within the channel
    from_email: str = ""
    from_name: str = ""
    from_phone: str = ""
    # a chat widget's visitor id: finds the customer it was seen with before (customers identities).
    # The channel must vouch for it (a signed widget cookie), as for a From that passed DMARC (FAULTS X3).
    from_visitor: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    ticket_id: int | None = None  # set when the channel already knows the thread
    # set when the customer is already known (an agent opening a ticket for them, `on_behalf`)
    customer_id: int | None = None
    type: str = "consultation"
    priority: str = "normal"
    language: str = "zh-hans"
    attachments: tuple[Upload, ...] = field(default_factory=tuple)
    # Where a new ticket goes (a mailbox's team and default category).
    team_id: int | None = None
    category_id: int | None = None
    # A customer's message on a done ticket: "reopen" it, or open a linked "follow_up" ticket.
    on_closed: str = "reopen"
    # Automatic mail (out-of-office, notifications): stored on the ticket, never reopens it.
    automatic: bool = False
    # body_html is already sanitised with kefu.core.sanitize's allow-list (the mail parser does it):
    # stored as it is instead of being sanitised a second time.
    body_html_clean: bool = False
    # html_from_text(body_text), if the channel has made it already (the mail parser does, in its
    # own process); used when there is no body_html. Not stored in the raw payload.
    body_text_html: str = ""


@dataclass
class Received:
    ticket: Ticket
    message: Message
    created: bool  # False when this delivery was a repeat of an earlier one
    rejected: list[str]


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _payload(inbound: InboundMessage) -> str:
    # the fields one level deep (dataclasses.asdict would deep-copy the attachments' bytes)
    data = {f.name: getattr(inbound, f.name) for f in fields(inbound) if f.name != "body_text_html"}
    data["attachments"] = [{"name": a.name, "size": len(a.content)} for a in inbound.attachments]
    return json.dumps(data, ensure_ascii=False, default=str)


def receive(inbound: InboundMessage, *, by: User | None = None, unseen: bool = False) -> Received:
    """Thread or open a ticket and store the raw item with its result, in one transaction (a
    failure leaves neither). A repeat is a no-op that answers with the first result.

    `unseen`: the caller has already checked that this item is not a repeat (an archive import
    dedupes a whole batch at once), so the lookup of an earlier delivery is skipped; a repeat that
    slips through is still caught by the unique key and answered with the first result.
    """
    if inbound.channel not in Channel.values:
        raise ValueError(f"unknown channel {inbound.channel}")
    if not unseen:
        previous = _previous(inbound)
        if previous:
            return previous
    try:
        with atomic_item():
            result = _process(inbound, by=by)
            # the raw item and its final state in one INSERT, in the same transaction as the
            # ticket: both commit or neither does (a concurrent delivery of the same item fails
            # here on the unique key and rolls this one back)
            RawInbound.objects.create(
                channel=inbound.channel,
                external_id=inbound.external_id[:255],
                payload=_payload(inbound),
                state=InboundState.PROCESSED,
                ticket_id=result.ticket.pk,
                message_id=result.message.pk,
                processed_at=now(),
            )
            return result
    except IntegrityError:
        # A concurrent delivery of the same item won the race; answer with its result.
        previous = _previous(inbound)
        if previous:
            return previous
        raise


def receive_many(inbounds: Sequence[InboundMessage]) -> list[Received]:
    """`receive(unseen=True)` for each of these items, in turn, with one INSERT per table (a bulk
    load inside `receiving_many()`: a mail archive import). Only for new conversations of
    customers: no `ticket_id`, no portal user, and checked by the caller not to be repeats.

    The rows and their ids are those of the calls one by one. All or nothing, in one savepoint: if
    any item fails (a bad one, or a repeat that slipped through and hits the unique key), it raises
    and nothing stays; the caller then receives the items one by one, so the bad one is found and
    the others are still written once.
    """
    for inbound in inbounds:
        if inbound.channel not in Channel.values:
            raise ValueError(f"unknown channel {inbound.channel}")
        if inbound.ticket_id:
            raise ValueError("receive_many() opens new tickets only")
    with atomic_item():
        new = [
            _new_ticket(
                inbound,
                customer=find_or_create_customer(
                    email=inbound.from_email,
                    name=inbound.from_name,
                    phone=inbound.from_phone,
                    language=inbound.language,
                ),
            )
            for inbound in inbounds
        ]
        created = tickets.open_tickets(new)
        RawInbound.objects.bulk_create(
            [
                RawInbound(
                    channel=inbound.channel,
                    external_id=inbound.external_id[:255],
                    payload=_payload(inbound),
                    state=InboundState.PROCESSED,
                    ticket_id=c.ticket.pk,
                    message_id=c.message.pk,
                    processed_at=now(),
                )
                for inbound, c in zip(inbounds, created, strict=True)
            ]
        )
    return [Received(ticket=c.ticket, message=c.message, created=True, rejected=c.rejected) for c in created]


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
    elif inbound.customer_id is not None:
        customer = Customer.objects.get(pk=inbound.customer_id)
    if customer is None:
        customer = find_or_create_customer(
            email=inbound.from_email,
            name=inbound.from_name,
            phone=inbound.from_phone,
            language=inbound.language,
            visitor_id=inbound.from_visitor,
        )
    if inbound.ticket_id and by is None:
        # The channel vouched for the thread (a mail reply matched to its ticket): a customer follow-up.
        return _customer_follow_up(inbound, customer=customer)
    if inbound.ticket_id and by is not None:
        ticket = access_ticket(by, inbound.ticket_id)
        posted = tickets.reply(
            ticket,
            body=inbound.body_text,
            by=by,
            attachments=inbound.attachments,
            channel=inbound.channel,
            external_id=inbound.external_id,
        )
        return Received(ticket=ticket, message=posted.message, created=True, rejected=posted.rejected)
    return _open(inbound, customer=customer, by=by)


def _new_ticket(inbound: InboundMessage, *, customer: Customer) -> tickets.NewTicket:
    return tickets.NewTicket(
        customer=customer,
        subject=inbound.subject,
        body=inbound.body_text,
        body_html=inbound.body_html,
        body_html_clean=inbound.body_html_clean,
        body_text_html=inbound.body_text_html,
        channel=inbound.channel,
        type=inbound.type,
        priority=inbound.priority,
        team=_row(Team, inbound.team_id) if inbound.team_id else None,
        category=_row(Category, inbound.category_id) if inbound.category_id else None,
        attachments=inbound.attachments,
        external_id=inbound.external_id,
    )


def _open(inbound: InboundMessage, *, customer: Customer, by: User | None) -> Received:
    created = tickets.open_new(_new_ticket(inbound, customer=customer), by=by)
    return Received(ticket=created.ticket, message=created.message, created=True, rejected=created.rejected)


def _customer_follow_up(inbound: InboundMessage, *, customer: Customer) -> Received:
    """A customer's message on a known ticket, without a portal user (mail, chat…).

    A closed ticket gets a linked follow-up instead when the mailbox says so.
    """
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    for _hop in range(20):  # follow merges to the surviving ticket
        if not ticket.merged_into_id:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    if ticket.status == Status.CLOSED and inbound.on_closed == "follow_up" and not inbound.automatic:
        received = _open(inbound, customer=customer, by=None)
        tickets.link(received.ticket, to=ticket, by=None)  # type: ignore[arg-type]  # system link
        return received
    body = (inbound.body_text or "").replace("\x00", "").strip()[: tickets.BODY_MAX] or inbound.subject
    posted = tickets.customer_follow_up(
        ticket,
        body=body or "—",
        channel=inbound.channel,
        body_html=inbound.body_html,
        body_html_clean=inbound.body_html_clean,
        body_text_html=inbound.body_text_html,
        attachments=inbound.attachments,
        external_id=inbound.external_id,
        automatic=inbound.automatic,  # an out-of-office answer is kept but reopens and triggers nothing
    )
    return Received(ticket=ticket, message=posted.message, created=True, rejected=posted.rejected)


# --------------------------------------------------------------------------- bulk loads


@dataclass
class _Many:
    rows: dict[tuple[type, int], Team | Category | None] = field(default_factory=dict)  # teams, categories


_many: ContextVar[_Many | None] = ContextVar("kefu_intake_many", default=None)


@contextmanager
def receiving_many() -> Iterator[None]:
    """Many `receive()` calls in one transaction (an archive import): the search rows and event
    markers are written once at the end (`tickets.batched()`), customers are remembered (and
    `prefetch_senders()` reads many at once), teams and categories are read once each.

    What is stored is the same as with one `receive()` per transaction. Nested blocks join the outer one.
    """
    if _many.get() is not None:
        yield
        return
    token = _many.set(_Many())
    try:
        with tickets.batched(), customer_batch():
            yield
    finally:
        _many.reset(token)


@contextmanager
def atomic_item() -> Iterator[None]:
    """`transaction.atomic()` around one item of `receiving_many()`: if it rolls back, the batch's
    caches forget what was created inside it (a customer whose row is gone)."""
    with transaction.atomic(), forget_on_rollback():
        yield


def prefetch_senders(emails: Iterable[str]) -> None:
    """Inside `receiving_many()`: read the customers of these senders in one query."""
    prefetch_customers(emails)


def _row(model: type[Team] | type[Category], pk: int):  # type: ignore[no-untyped-def]
    """A team or category by id, read once per `receiving_many()` block."""
    many = _many.get()
    if many is None:
        return model.objects.filter(pk=pk).first()
    if (model, pk) not in many.rows:
        many.rows[model, pk] = model.objects.filter(pk=pk).first()
    return many.rows[model, pk]


# --------------------------------------------------------------------------- portal and web form
#
# The customer-facing ways in: signing up, a request from the portal, and the public contact form
# whose ticket the customer reaches only through an emailed, single-use link.

FORM_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
CONFIRM_SALT = "kefu.intake.contact-confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
log = logging.getLogger("kefu.intake")


def new_form_token() -> str:
    """A per-form idempotency token: the same form posted twice opens one ticket."""
    return secrets.token_hex(16)


def _form_token(token: str) -> str:
    # A missing or odd token still works, it just cannot deduplicate.
    return token if FORM_TOKEN_RE.match(token or "") else new_form_token()


def customer_language(code: str) -> str:
    return "en" if (code or "").lower().startswith("en") else "zh-hans"


def _unique_username(email: str) -> str:
    base = email.lower()[:140] or "customer"
    username = base
    while User.objects.filter(username__iexact=username).exists():
        username = f"{base}-{secrets.token_hex(3)}"
    return username


def _link_portal_user(
    customer: Customer, *, email: str, name: str, language: str, password: str | None
) -> User | None:
    """The customer's portal user, created (or an unlinked customer user adopted) if needed.

    None when the email belongs to staff or to someone else: a customer link never logs staff in.
    """
    if customer.user_id is not None:
        user = customer.user
        return user if user is not None and user.is_customer else None
    existing = User.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        if not existing.is_customer or getattr(existing, "customer", None) is not None:
            return None
        user = existing
    else:
        user = create_user(
            username=_unique_username(email),
            password=password,
            role=Role.CUSTOMER,
            email=email,
            display_name=name[:100],
            language=language,
        )
    # Compare-and-set: a concurrent sign-up with the same email may have linked this customer
    # since it was read; then this one loses (and its user is rolled back with the transaction).
    if not Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=user):
        return None
    customer.user = user
    return user


@transaction.atomic
def ensure_customer(user: User) -> Customer:
    """The Customer behind a portal user (a customer user made by hand may lack one)."""
    customer = getattr(user, "customer", None)
    if customer is not None:
        return customer
    customer = find_or_create_customer(email=user.email, name=user.name, language=user.language)
    if customer.user_id is None:
        Customer.objects.filter(pk=customer.pk).update(user=user)
    else:
        customer = Customer.objects.create(
            name=user.name, email=user.email, language=user.language, user=user
        )
    user.refresh_from_db()
    return customer


def submit_request(
    *,
    user: User,
    subject: str,
    body: str,
    type: str,
    token: str,
    attachments: Sequence[Upload] = (),
    language: str = "zh-hans",
) -> Received:
    """A request from a logged-in customer in the portal. The same form token twice → one ticket."""
    customer = ensure_customer(user)
    return receive(
        InboundMessage(
            channel=Channel.WEB,
            external_id=f"portal:{user.pk}:{_form_token(token)}",
            from_email=customer.email,
            from_name=customer.name,
            subject=subject,
            body_text=body,
            type=type,
            language=customer_language(language),
            attachments=tuple(attachments),
        ),
        by=user,
    )


def allow_contact_submission(ip: str) -> int:
    """Count one contact-form post from this IP; returns 0 if allowed, else seconds to wait."""
    limit, window = (int(x) for x in getattr(settings, "KEFU_CONTACT_RATE", "10/600").split("/"))
    key = f"kefu:contact-rate:{ip or 'unknown'}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return 0 if count <= limit else window


@dataclass
class ContactReceived:
    received: Received
    contact: ContactRequest
    mailed: bool  # False when this post was a repeat or the mail could not be sent now


def submit_contact_form(
    *,
    name: str,
    email: str,
    subject: str,
    body: str,
    token: str,
    attachments: Sequence[Upload] = (),
    language: str = "zh-hans",
    site_url: str = "",
) -> ContactReceived:
    """Open the ticket at once (nothing lost), then email the customer a link to reach it."""
    email = normalise_email(email)
    language = customer_language(language)
    received = receive(
        InboundMessage(
            channel=Channel.WEB,
            external_id=f"contact:{_form_token(token)}",
            from_email=email,
            from_name=name,
            subject=subject,
            body_text=body,
            language=language,
            attachments=tuple(attachments),
        )
    )
    contact, created = ContactRequest.objects.get_or_create(
        ticket_id=received.ticket.pk, defaults={"email": email, "name": name[:200], "language": language}
    )
    mailed = created and send_confirmation(contact, ticket=received.ticket, site_url=site_url)
    return ContactReceived(received=received, contact=contact, mailed=mailed)


def confirm_token(contact: ContactRequest) -> str:
    return TimestampSigner(salt=CONFIRM_SALT).sign(str(contact.pk))


def confirm_url(contact: ContactRequest, *, site_url: str = "") -> str:
    base = (site_url or settings.BASE_URL).rstrip("/")
    return base + reverse("contact:confirm", kwargs={"token": confirm_token(contact)})


def send_confirmation(contact: ContactRequest, *, ticket: Ticket, site_url: str = "") -> bool:
    """Email the confirmation link in the customer's language. A failure is logged, never raised:
    the ticket is already safe and agents can answer it, and `retry_confirmations` tries again."""
    ContactRequest.objects.filter(pk=contact.pk).update(
        email_attempts=models.F("email_attempts") + 1, email_tried_at=now()
    )
    return _deliver_confirmation(contact, ticket=ticket, site_url=site_url)


def _deliver_confirmation(contact: ContactRequest, *, ticket: Ticket, site_url: str = "") -> bool:
    context = {
        "name": contact.name or contact.email,
        "number": ticket.number,
        "subject": " ".join(ticket.subject.split())[:120],
        "link": confirm_url(contact, site_url=site_url),
        "days": CONFIRM_MAX_AGE.days,
        "company": settings.KEFU_COMPANY,
        "hotline": settings.KEFU_HOTLINE,
    }
    try:
        # a reply to what the customer sent, so "auto-replied" (RFC 3834), not "auto-generated"
        send_templated(
            to=contact.email,
            language=contact.language,
            template="intake/email/confirm",
            context=context,
            headers={**AUTOMATIC, "Auto-Submitted": "auto-replied"},
        )
    except Exception:
        log.warning("could not send the confirmation mail for ticket %s", ticket.pk, exc_info=True)
        return False
    ContactRequest.objects.filter(pk=contact.pk).update(email_sent_at=now())
    return True


# Retries of a confirmation mail that could not be sent: after 5, 10, 20… minutes, at most 8 tries.
CONFIRM_RETRY_BASE = timedelta(minutes=5)
CONFIRM_MAX_ATTEMPTS = 8


def retry_confirmations(limit: int = 100) -> int:
    """Send again the confirmation mails that failed (mail server down), with exponential back-off.
    Each request is claimed with a compare-and-set on its attempt count, so workers running this at
    the same time never mail a customer twice. Returns the number sent."""
    moment = now()
    pending = ContactRequest.objects.filter(
        email_sent_at__isnull=True,
        confirmed_at__isnull=True,
        email_attempts__gt=0,
        email_attempts__lt=CONFIRM_MAX_ATTEMPTS,
        created_at__gte=moment - CONFIRM_MAX_AGE,
    ).order_by("email_tried_at")[:limit]
    pending = list(pending)
    tickets_by_id = Ticket.objects.in_bulk([c.ticket_id for c in pending])
    sent = 0
    for contact in pending:
        if contact.email_tried_at and moment < contact.email_tried_at + CONFIRM_RETRY_BASE * 2 ** (
            contact.email_attempts - 1
        ):
            continue
        claimed = ContactRequest.objects.filter(
            pk=contact.pk, email_attempts=contact.email_attempts, email_sent_at__isnull=True
        ).update(email_attempts=contact.email_attempts + 1, email_tried_at=moment)
        ticket = tickets_by_id.get(contact.ticket_id)
        if claimed and ticket is not None:
            sent += _deliver_confirmation(contact, ticket=ticket)
    return sent


def read_confirm_token(token: str) -> ContactRequest:
    """The contact request behind a link, or LinkInvalid (forged, mangled, expired, unknown)."""
    invalid = gettext("This link is not valid or has expired. Please send your request again.")
    try:
        pk = TimestampSigner(salt=CONFIRM_SALT).unsign(token or "", max_age=CONFIRM_MAX_AGE)
    except (BadSignature, SignatureExpired):
        raise LinkInvalid(invalid)
    contact = ContactRequest.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if contact is None:
        raise LinkInvalid(invalid)
    return contact


@dataclass
class Confirmed:
    ticket: Ticket
    user: User | None  # None: the email belongs to staff, who log in with their password


@transaction.atomic
def confirm_contact(contact: ContactRequest) -> Confirmed:
    """Mark the link used (once only) and give the customer a passwordless portal user."""
    if contact.confirmed_at is not None:
        raise LinkInvalid(
            gettext("This link was already used. Log in to see your request."), code="link_used"
        )
    ticket = Ticket.objects.select_related("customer__user").get(pk=contact.ticket_id)
    while ticket.merged_into_id:  # the request may have been merged since
        ticket = Ticket.objects.select_related("customer__user").get(pk=ticket.merged_into_id)
    user = _link_portal_user(
        ticket.customer, email=contact.email, name=contact.name, language=contact.language, password=None
    )
    won = ContactRequest.objects.filter(pk=contact.pk, confirmed_at__isnull=True).update(
        confirmed_at=now(), user_id=user.pk if user else None
    )
    if not won:
        raise LinkInvalid(
            gettext("This link was already used. Log in to see your request."), code="link_used"
        )
    return Confirmed(ticket=ticket, user=user)
