"""REST endpoints of the automation app (mounted at /api/automation/ in kefu/api.py).

Agents search the canned replies they may use, filled in for a ticket they can see.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kefu.core.api_support import ErrorOut, Text
from kefu.tickets import selectors as ticket_selectors

from . import selectors, templating
from .errors import NotFound

ERRORS = {codes_4xx: ErrorOut}
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


@router.get("/canned", response={200: list[CannedOut], **ERRORS}, summary="Search canned replies")
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
