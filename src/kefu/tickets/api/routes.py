"""Tickets over the API. Handlers parse, authorise and call one service or selector; tickets are
reached only through `access_ticket` / `visible_tickets`, so "not yours" is the same 404 as missing."""

from collections.abc import Callable
from typing import Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from kefu.accounts import selectors as accounts
from kefu.accounts.models import User
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.core.idempotency import idempotent
from kefu.customers.models import Customer
from kefu.tickets import selectors, services
from kefu.tickets.downloads import attachment_response
from kefu.tickets.models import Category, Channel, Message, Priority, Ticket, TicketEvent

from .schemas import (
    AttachmentOut,
    CreatedMessage,
    CustomerRef,
    EventOut,
    LinkIn,
    LinkOut,
    MergeIn,
    MessageIn,
    MessageOut,
    NamedRef,
    ParentIn,
    SearchHitOut,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    TicketQuery,
    TicketSearchQuery,
    TicketUpdate,
    UserRef,
)

# --------------------------------------------------------------------------- building answers


def _user_ref(user: User | None) -> UserRef | None:
    return UserRef(id=user.pk, name=user.name) if user else None


def ticket_out(ticket: Ticket, schema: type[TicketOut] = TicketOut, **extra) -> TicketOut:
    customer = ticket.customer
    return schema(
        id=ticket.pk,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        type=ticket.type,
        channel=ticket.channel,
        customer=CustomerRef(id=customer.pk, name=customer.name, email=customer.email, tier=customer.tier),
        assignee=_user_ref(ticket.assignee),
        team=NamedRef(id=ticket.team.pk, name=ticket.team.name) if ticket.team else None,
        category=NamedRef(id=ticket.category.pk, name=str(ticket.category)) if ticket.category else None,
        tags=sorted(tag.name for tag in ticket.tags.all()),
        parent_id=ticket.parent_id,
        order_ref=ticket.order_ref,
        version=ticket.version,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        last_message_at=ticket.last_message_at,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        closed_at=ticket.closed_at,
        **extra,
    )


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.pk,
        kind=message.kind,
        author=_user_ref(message.author),
        from_customer=message.from_customer,
        channel=message.channel,
        body_text=message.body_text,
        body_html=message.body_html,
        created_at=message.created_at,
        attachments=[
            AttachmentOut(
                id=a.pk,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=reverse("api:download_attachment", kwargs={"attachment_id": a.pk}),
            )
            for a in message.attachments.all()
        ],
    )


def detail_out(user: User, ticket: Ticket) -> TicketDetail:
    messages = [message_out(m) for m in selectors.list_messages(user, ticket)]
    return ticket_out(ticket, TicketDetail, messages=messages)


# --------------------------------------------------------------------------- rules of who may call what


def _require_agent(user: User) -> None:
    if not selectors.can_edit(user):
        raise PermissionDenied(_("Only agents can do this."))


def _require_staff(user: User) -> None:
    if not selectors.can_see_internal(user):
        raise PermissionDenied(_("Only staff can do this."))


def _require_participant(user: User) -> None:
    """Public replies come from agents or from the customer; department members add notes."""
    if not (user.is_agent or user.is_customer):
        raise PermissionDenied(_("Only agents and the customer can reply."))


def _one(queryset, pk: int | None, field: str, message: str):
    """The row `pk` of `queryset` (None when no id was given), or a 4xx naming the field."""
    if pk is None:
        return None
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise ValidationFailed(message, field=field)
    return row


def _team(team_id: int | None, field: str):
    return _one(accounts.list_teams(), team_id, field, _("Unknown team."))


def _agent(user_id: int | None, field: str) -> User | None:
    return _one(accounts.list_agents(), user_id, field, _("Tickets can only be assigned to agents."))


def _category(category_id: int | None, field: str) -> Category | None:
    return _one(Category.objects.all(), category_id, field, _("Unknown category."))


STAFF_ONLY_CREATE = (
    "priority",
    "channel",
    "customer",
    "customer_email",
    "customer_phone",
    "customer_name",
    "first_message",
    "mail_customer",
    "team",
    "tags",
)

# An agent opening a ticket for a customer goes through intake's `receive()` like every other way
# in (DESIGN.md, "the way a request flows"). intake is a higher layer, so it registers its door
# here in `IntakeConfig.ready()`: opener(request, payload) -> Ticket.
AgentOpener = Callable[[HttpRequest, TicketCreate], Ticket]
_agent_opener: list[AgentOpener] = []


def register_agent_opener(opener: AgentOpener) -> None:
    _agent_opener[:] = [opener]


def _customer_for(user: User, payload: TicketCreate) -> Customer:
    if user.is_customer:
        sent = payload.model_fields_set & set(STAFF_ONLY_CREATE)
        if sent:
            raise PermissionDenied(_("Only staff can set this field."), field=sorted(sent)[0])
        customer = getattr(user, "customer", None)
        if customer is not None:
            return customer
    raise PermissionDenied(_("Only customers and agents can open tickets."))


# --------------------------------------------------------------------------- endpoints

MAX_FILES = 10
router = Router(tags=["tickets"])


@router.post("", response={201: TicketDetail}, summary="Open a ticket")
@idempotent
def create_ticket(request: HttpRequest, payload: TicketCreate):
    """A customer opens a ticket for themselves. An agent opens one on behalf of a customer: an
    existing one by `customer` (its id: 404 if you cannot see it), or one found or created by
    `customer_email` and/or `customer_phone` (with `customer_name`); `channel` phone, wechat,
    in_person, other… (default api); `first_message` says whether `body` is the customer's words
    (public) or a call summary (internal note); `mail_customer` mails a receipt. The ticket is
    triaged, routed and timed like any other; with an `Idempotency-Key`, a repeat opens nothing.
    Invalid contact details answer 422 naming the field (`customer_phone`, `customer_email`)."""
    user: User = request.auth
    if user.is_agent:
        if not _agent_opener:
            raise PermissionDenied(_("Only customers and agents can open tickets."))
        ticket = _agent_opener[0](request, payload)
        # answered even when routing put it in a team the agent is not in: they opened it
        ticket = Ticket.objects.select_related("customer", "assignee", "team", "category").get(pk=ticket.pk)
        return 201, detail_out(user, ticket)
    customer = _customer_for(user, payload)
    created = services.open_ticket(
        customer=customer,
        subject=payload.subject,
        body=payload.body,
        by=user,
        channel=payload.channel or Channel.API,
        type=payload.type,
        priority=payload.priority or Priority.NORMAL,
        team=_team(payload.team, "team"),
        tags=payload.tags,
    )
    return 201, detail_out(user, created.ticket)


@router.get("", response={200: TicketPage}, summary="List tickets (views, filters, cursor pages)")
def list_tickets(request: HttpRequest, filters: Query[TicketQuery]):
    """The same views and filters as the agent workspace, newest change first, keyset-paginated."""
    params = {
        name: (value.value if hasattr(value, "value") else str(value))
        for name, value in filters.dict(exclude_none=True).items()
        if name not in ("cursor", "limit")
    }
    page = selectors.list_tickets(
        request.auth, selectors.TicketFilters.from_params(params), cursor=filters.cursor, limit=filters.limit
    )
    prefetch_related_objects(page.items, "tags")
    return TicketPage(items=[ticket_out(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/search", response={200: list[SearchHitOut]}, summary="Search tickets")
def search_tickets(request: HttpRequest, params: Query[TicketSearchQuery]):
    """Ranked full-text search (Chinese and English) among the tickets you may see."""
    hits = selectors.search_tickets(request.auth, params.q, limit=params.limit)
    prefetch_related_objects([h.ticket for h in hits], "tags", "team", "category")
    return [
        SearchHitOut(
            ticket=ticket_out(h.ticket), rank=h.rank, subject_html=h.subject_html, snippet_html=h.snippet_html
        )
        for h in hits
    ]


@router.get("/{int:ticket_id}", response={200: TicketDetail}, summary="Get a ticket with its messages")
def get_ticket(request: HttpRequest, ticket_id: int):
    """Customers get public messages only; staff also get internal notes."""
    return detail_out(request.auth, selectors.access_ticket(request.auth, ticket_id))


@router.patch("/{int:ticket_id}", response={200: TicketOut}, summary="Change ticket fields")
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketUpdate):
    """Compare-and-set on `version`: a stale version answers 409 `stale_version` naming who changed it."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version")
    if not user.is_agent:
        if not user.is_customer:
            raise PermissionDenied(_("Only agents can change tickets."))
        if set(sent) - {"status"}:
            raise PermissionDenied(
                _("Customers can only close or reopen."), field=sorted(set(sent) - {"status"})[0]
            )
    changes = {}
    for name in ("status", "priority", "type", "subject", "tags"):
        if name in sent:
            if sent[name] is None:
                raise ValidationFailed(_("This field cannot be null."), field=name)
            changes[name] = sent[name]
    if "assignee" in sent:
        changes["assignee"] = _agent(sent["assignee"], "assignee")
    if "team" in sent:
        changes["team"] = _team(sent["team"], "team")
    if "category" in sent:
        changes["category"] = _category(sent["category"], "category")
    ticket = services.update_ticket(
        ticket, by=user, version=version, customer_action=not user.is_agent, **changes
    )
    return ticket_out(ticket)


@router.post("/{int:ticket_id}/replies", response={201: CreatedMessage}, summary="Post a public reply")
@idempotent
def reply(request: HttpRequest, ticket_id: int, payload: MessageIn):
    """An agent's reply to the customer, or the customer's follow-up on their own ticket."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    _require_participant(user)
    posted = services.reply(
        ticket, body=payload.body, by=user, channel=Channel.API if not user.is_agent else None
    )
    return 201, CreatedMessage(message=message_out(posted.message), rejected_attachments=posted.rejected)


@router.post("/{int:ticket_id}/notes", response={201: CreatedMessage}, summary="Add an internal note")
@idempotent
def add_note(request: HttpRequest, ticket_id: int, payload: MessageIn):
    """Staff only; never shown to the customer."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    _require_staff(user)
    posted = services.add_note(ticket, body=payload.body, by=user)
    return 201, CreatedMessage(message=message_out(posted.message), rejected_attachments=posted.rejected)


@router.post(
    "/{int:ticket_id}/messages",
    response={201: CreatedMessage},
    summary="Post a reply or note with attachments (multipart)",
)
@idempotent
def post_with_files(
    request: HttpRequest,
    ticket_id: int,
    body: Form[str],
    kind: Form[Literal["reply", "note"]] = "reply",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """`multipart/form-data` with `body`, `kind` (reply or note) and up to 10 `files`.

    Each file is checked for size and type on its own: a rejected file is listed in
    `rejected_attachments` and the message is saved with the others.
    """
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    files = files or []
    if len(files) > MAX_FILES:
        raise ValidationFailed(_("At most %(n)d files at once.") % {"n": MAX_FILES}, field="files")
    uploads = [
        services.Upload(name=f.name or "file", content=f.read(), content_type=f.content_type or "")
        for f in files
    ]
    if kind == "note":
        _require_staff(user)
        posted = services.add_note(ticket, body=body, by=user, attachments=uploads)
    else:
        _require_participant(user)
        channel = Channel.API if not user.is_agent else None
        posted = services.reply(ticket, body=body, by=user, channel=channel, attachments=uploads)
    return 201, CreatedMessage(message=message_out(posted.message), rejected_attachments=posted.rejected)


@router.put("/{int:ticket_id}/parent", response={200: TicketOut}, summary="Set or clear the parent")
@idempotent
def set_parent(request: HttpRequest, ticket_id: int, payload: ParentIn):
    """Make this ticket a child of `parent` (null clears it). Agents only; both must be visible to you."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    parent = selectors.access_ticket(user, payload.parent) if payload.parent is not None else None
    _require_agent(user)
    services.set_parent(ticket, parent=parent, by=user)
    return 200, ticket_out(selectors.access_ticket(user, ticket.pk))


@router.get("/{int:ticket_id}/children", response={200: list[TicketOut]}, summary="Child tickets")
def list_children(request: HttpRequest, ticket_id: int):
    """The children of a ticket that you may see."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    children = list(
        selectors.visible_tickets(user)
        .filter(parent=ticket)
        .select_related("customer", "assignee", "team", "category")
        .order_by("created_at")[:200]
    )
    prefetch_related_objects(children, "tags")
    return [ticket_out(child) for child in children]


@router.post("/{int:ticket_id}/merge", response={200: TicketOut}, summary="Merge into another ticket")
@idempotent
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn):
    """Messages and history move to `into`; this ticket is closed and points to it. Agents only."""
    user: User = request.auth
    source = selectors.access_ticket(user, ticket_id)
    into = selectors.access_ticket(user, payload.into)
    _require_agent(user)
    survivor = services.merge(source, into=into, by=user)
    return 200, ticket_out(selectors.access_ticket(user, survivor.pk))


@router.post("/{int:ticket_id}/links", response={201: LinkOut}, summary="Link two tickets")
@idempotent
def link(request: HttpRequest, ticket_id: int, payload: LinkIn):
    """Agents only; both tickets must be visible to you."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    other = selectors.access_ticket(user, payload.to)
    _require_agent(user)
    item = services.link(ticket, to=other, by=user)
    return 201, LinkOut(source_id=item.source_id, target_id=item.target_id)


@router.get("/{int:ticket_id}/events", response={200: list[EventOut]}, summary="Ticket history")
def list_events(request: HttpRequest, ticket_id: int):
    """The append-only audit trail (staff only)."""
    user: User = request.auth
    ticket = selectors.access_ticket(user, ticket_id)
    _require_staff(user)
    return [_event_out(e) for e in selectors.list_events(user, ticket)]


def _event_out(event: TicketEvent) -> EventOut:
    return EventOut(
        id=event.pk,
        kind=event.kind,
        actor=_user_ref(event.actor),
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        message_id=event.message_id,
        created_at=event.created_at,
    )


attachments_router = Router(tags=["tickets"])


DOWNLOAD = {
    "description": "The file as stored, always as a download (`Content-Disposition: attachment`)",
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
}


@attachments_router.get(
    "/{int:attachment_id}",
    summary="Download an attachment",
    url_name="download_attachment",
    openapi_extra={"responses": {200: DOWNLOAD}},
)
def download_attachment(request: HttpRequest, attachment_id: int):
    """Always a download (never shown inline on kefu's origin), for people who may see the ticket."""
    return attachment_response(selectors.access_attachment(request.auth, attachment_id))
