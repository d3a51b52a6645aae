"""REST endpoints of the automation app (mounted at /api/automation/ in kefu/api.py).

Agents search the canned replies they may use, filled in for a ticket they can see. Supervisors
add and change webhooks (the same validation as the agent pages and the Django admin).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kefu.core.api_support import Text
from kefu.tickets import selectors as ticket_selectors

from . import selectors, services, templating
from .errors import NotFound
from .models import Webhook

router = Router(tags=["automation"])


class CannedOut(Schema):
    id: int
    title: str
    category: str
    language: str
    shared: bool
    text: str = Field(description="The body with its variables filled in (for `ticket`, when given)")


class CannedQuery(Schema):
    q: Text = Field("", max_length=100, description="Words in the title, text or category")
    language: Text = Field("", max_length=10)
    ticket: int | None = Field(None, ge=1, le=2**62, description="Fill the variables for this ticket")


@router.get("/canned", response={200: list[CannedOut]}, summary="Search canned replies")
def search_canned(request: HttpRequest, params: Query[CannedQuery]):
    user = request.auth
    if not getattr(user, "is_agent", False):
        raise NotFound("Not found.")
    if params.ticket:
        ticket = ticket_selectors.access_ticket(user, params.ticket)
        context = templating.context_for(ticket, agent=user)
    else:
        context = templating.Context(agent_name=user.name)
    items = selectors.search_canned_replies(user, params.q, language=params.language)
    return [
        CannedOut(
            id=item.pk,
            title=item.title,
            category=item.category,
            language=item.language,
            shared=item.shared,
            text=templating.render(item.body, context),
        )
        for item in items
    ]


# --------------------------------------------------------------------------- webhooks


class WebhookIn(Schema):
    name: Text
    url: Text = Field(
        description="A public http(s) URL (private, loopback and metadata addresses are refused)"
    )
    secret: Text | None = Field(
        None, description="Signing secret, 16 to 100 printable ASCII characters; omitted: a random one"
    )
    active: bool = True


class WebhookPatch(Schema):
    name: Text | None = None
    url: Text | None = None
    secret: Text | None = Field(None, description="A new signing secret; omitted: keep the current one")
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    active: bool
    secret: str = Field(
        description="The signing secret: X-Kefu-Signature is its HMAC-SHA256 of timestamp.body"
    )


def _supervisor(request: HttpRequest):
    user = request.auth
    if not services.is_supervisor(user):
        raise NotFound("Not found.")  # fail closed: the same answer as a missing route
    return user


def _webhook_out(item: Webhook) -> WebhookOut:
    return WebhookOut(id=item.pk, name=item.name, url=item.url, active=item.active, secret=item.secret)


@router.post("/webhooks", response={201: WebhookOut}, summary="Add a webhook (supervisors)")
def create_webhook(request: HttpRequest, payload: WebhookIn):
    user = _supervisor(request)
    item = services.save_webhook(
        by=user, name=payload.name, url=payload.url, secret=payload.secret, active=payload.active
    )
    return Status(201, _webhook_out(item))


@router.patch(
    "/webhooks/{int:webhook_id}", response={200: WebhookOut}, summary="Change a webhook (supervisors)"
)
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch):
    user = _supervisor(request)
    item = Webhook.objects.filter(pk=webhook_id).first() if 0 < webhook_id < 2**62 else None
    if item is None:
        raise NotFound("Not found.")
    item = services.save_webhook(
        by=user,
        webhook=item,
        name=payload.name if payload.name is not None else item.name,
        url=payload.url if payload.url is not None else item.url,
        secret=payload.secret,
        active=payload.active if payload.active is not None else item.active,
    )
    return _webhook_out(item)
