"""intake's door in the tickets API: `POST /api/tickets` by an agent, on behalf of a customer.

The endpoint and its schema live in `kefu.tickets.api` (one operation for customers and agents);
`IntakeConfig.ready()` registers `open_from_api` there, so the agent's request goes through
`receive()` without tickets importing intake (layers, DESIGN.md)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kefu.accounts import selectors as accounts
from kefu.core.errors import ValidationFailed
from kefu.tickets.api.schemas import TicketCreate
from kefu.tickets.models import Channel, Ticket

from .on_behalf import NewCustomer, idempotency_key, open_on_behalf


def open_from_api(request: HttpRequest, payload: TicketCreate) -> Ticket:
    user = request.auth  # type: ignore[attr-defined]
    team = None
    if payload.team is not None:
        team = accounts.list_teams().filter(pk=payload.team).first()
        if team is None:
            raise ValidationFailed(_("Unknown team."), field="team")
    new_customer = None
    if payload.customer is None:
        if not (payload.customer_email or payload.customer_phone):
            raise ValidationFailed(_("Give the customer's id, email or phone number."), field="customer")
        new_customer = NewCustomer(
            name=payload.customer_name, phone=payload.customer_phone, email=payload.customer_email or ""
        )
    # The Idempotency-Key makes the inbound item's key: a repeat (even past the API's own replay
    # store) answers the first ticket. Without one every request is new.
    key = idempotency_key(by=user, token=request.headers.get("Idempotency-Key", ""), door="api")
    opened = open_on_behalf(
        by=user,
        subject=payload.subject,
        body=payload.body,
        key=key,
        channel=payload.channel or Channel.API,
        customer_id=payload.customer,
        new_customer=new_customer,
        first_message=payload.first_message,
        type=payload.type,
        priority=payload.priority or "",
        team=team,
        tags=tuple(payload.tags),
        mail_customer=payload.mail_customer,
    )
    return opened.ticket
