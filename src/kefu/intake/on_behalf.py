"""An agent opens a ticket for a customer (新建工单): a call, a walk-in, a message from an app kefu
does not read. One more door of intake: the request becomes an `InboundMessage` and goes through
`receive()`, so it is stored raw, triaged, routed and timed like any other ticket, and the same form
(or API request) sent twice opens one ticket.

The first message is either
- the customer's own words (`FirstMessage.CUSTOMER`): a public message from the customer, seen in
  the portal and quoted in the receipt mail; or
- the agent's call summary (`FirstMessage.SUMMARY`): an internal note, staff only. The customer's
  side of the ticket then opens with the subject as their request.
Either way an internal note records which agent opened the ticket, on which channel.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction
from django.db.models import TextChoices
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team, User
from kefu.core.automail import AUTOMATIC, send_templated
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.customers.models import Customer
from kefu.customers.selectors import access_customer
from kefu.customers.services import checked_email, find_or_create_customer, normalise_phone
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Message, Priority, Ticket, TicketType
from kefu.tickets.selectors import can_edit

from .services import FORM_TOKEN_RE, InboundMessage, _previous, receive

log = logging.getLogger("kefu.intake")

# The channels an agent records by hand, first the ones the form offers.
AGENT_CHANNELS = (Channel.PHONE, Channel.WECHAT, Channel.IN_PERSON, Channel.OTHER)


class FirstMessage(TextChoices):
    CUSTOMER = "customer", _("The customer's words (public, the customer sees it)")
    SUMMARY = "summary", _("Call summary (internal note, staff only)")


@dataclass(frozen=True)
class NewCustomer:
    """A customer created on the spot: a name and a phone number and/or an email address."""

    name: str
    phone: str = ""
    email: str = ""


@dataclass
class OpenedOnBehalf:
    ticket: Ticket
    message: Message
    created: bool  # False: the same form or request was sent before; nothing new was written
    mailed: bool | None  # None: no mail asked for; False: asked but it could not be sent now
    rejected: list[str]


def idempotency_key(*, by: User, token: str, door: str = "form") -> str:
    """The external id of one submission: the form's one-time token (or the API's Idempotency-Key)."""
    token = (token or "").strip()
    if door == "form" and not FORM_TOKEN_RE.match(token):
        token = secrets.token_hex(16)  # a missing or odd token still works, it just cannot dedupe
    return f"agent-{door}:{by.pk}:{token[:200] or secrets.token_hex(16)}"


def check_new_customer(new: NewCustomer) -> NewCustomer:
    """The new customer's fields checked, or ValidationFailed naming the field."""
    name = " ".join((new.name or "").split())[:200]
    phone = normalise_phone(new.phone, field="customer_phone")
    email = checked_email(new.email, field="customer_email")
    if not (phone or email):
        raise ValidationFailed(
            gettext("Give the customer's phone number or email address."), field="customer_phone"
        )
    return NewCustomer(name=name, phone=phone, email=email)


def open_on_behalf(
    *,
    by: User,
    subject: str,
    body: str,
    key: str,
    channel: str = Channel.PHONE,
    customer_id: int | None = None,
    new_customer: NewCustomer | None = None,
    first_message: str = FirstMessage.CUSTOMER,
    type: str = "",
    priority: str = "",
    team: Team | None = None,
    tags: tuple[str, ...] = (),
    mail_customer: bool = False,
) -> OpenedOnBehalf:
    """Open a ticket for a customer (an existing one the agent can see, or one created on the spot).

    `key`: `idempotency_key(...)`; the same key again answers the first ticket and writes nothing.
    Errors name the field: `customer` (404 when the agent cannot see it), `customer_phone`,
    `customer_email`, `channel`, `first_message`, `mail_customer`, `subject`, `body`.
    """
    if not can_edit(by) or not by.is_agent:
        raise PermissionDenied(gettext("Only agents can open tickets for customers."))
    if channel not in Channel.values:
        raise ValidationFailed(gettext("Unknown channel."), field="channel")
    if first_message not in FirstMessage.values:
        raise ValidationFailed(
            gettext("Choose the customer's words or a call summary."), field="first_message"
        )
    if type and type not in TicketType.values:
        raise ValidationFailed(gettext("Unknown ticket type."), field="type")
    if priority and priority not in Priority.values:
        raise ValidationFailed(gettext("Unknown priority."), field="priority")
    summary = first_message == FirstMessage.SUMMARY
    subject = " ".join((subject or "").split())
    inbound = InboundMessage(
        channel=channel,
        external_id=key,
        subject=subject,
        # a call summary is the agent's words, kept internal: the customer's side opens with the subject
        body_text=subject if summary else body,
        type=type or TicketType.CONSULTATION,
        priority=priority or Priority.NORMAL,
        team_id=team.pk if team else None,
    )
    previous = _previous(inbound)
    if previous is not None:  # a double submit: the first ticket, nothing new
        return OpenedOnBehalf(previous.ticket, previous.message, False, None, [])
    if summary and not (body or "").strip():
        raise ValidationFailed(gettext("Write the call summary."), field="body")
    with transaction.atomic():  # a customer created on the spot stays only with its ticket
        customer = _customer(by, customer_id=customer_id, new_customer=new_customer)
        if mail_customer and not customer.email:
            raise ValidationFailed(
                gettext("This customer has no email address: add one or do not send a mail."),
                field="mail_customer",
            )
        received = receive(replace(inbound, customer_id=customer.pk, language=customer.language or "zh-hans"))
        if not received.created:  # a concurrent double submit won the race
            return OpenedOnBehalf(received.ticket, received.message, False, None, [])
        ticket = received.ticket
        tickets.add_note(ticket, body=_note(by, channel=channel, summary=body if summary else ""), by=by)
        if tags:
            ticket.refresh_from_db()
            ticket = tickets.update_ticket(ticket, by=by, version=ticket.version, tags=list(tags))
    mailed = None
    if mail_customer:
        mailed = send_receipt(ticket, body="" if summary else body)
    ticket.refresh_from_db()
    return OpenedOnBehalf(ticket, received.message, True, mailed, received.rejected)


def _customer(by: User, *, customer_id: int | None, new_customer: NewCustomer | None) -> Customer:
    if customer_id is not None:
        return access_customer(by, customer_id)  # the same 404 for "not yours" and "no such customer"
    if new_customer is None:
        raise ValidationFailed(gettext("Choose a customer or enter a new one."), field="customer")
    new = check_new_customer(new_customer)
    return find_or_create_customer(email=new.email, name=new.name, phone=new.phone)


def _note(by: User, *, channel: str, summary: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        head = gettext("Opened by %(agent)s for the customer (%(channel)s).") % {
            "agent": by.name,
            "channel": Channel(channel).label,
        }
        if not summary:
            return head
        return f"{head}\n\n{gettext('Call summary:')}\n{summary}"


def send_receipt(ticket: Ticket, *, body: str) -> bool:
    """Mail the customer that their request is recorded (with their words when they are public).
    After the ticket is committed; a failure is logged and answered False, never raised."""
    customer = ticket.customer
    link = ""
    if customer.user_id is not None:
        link = settings.BASE_URL.rstrip("/") + reverse("portal:ticket", kwargs={"pk": ticket.pk})
    context = {
        "name": customer.name or customer.email,
        "number": ticket.number,
        "subject": " ".join(ticket.subject.split())[:120],
        "body": body,
        "link": link,
        "company": settings.KEFU_COMPANY,
        "hotline": settings.KEFU_HOTLINE,
    }
    try:
        send_templated(
            to=customer.email,
            language=customer.language or "zh-hans",
            template="intake/email/on_behalf",
            context=context,
            headers=AUTOMATIC,
        )
    except Exception:
        log.warning("could not send the receipt mail for ticket %s", ticket.pk, exc_info=True)
        return False
    return True
