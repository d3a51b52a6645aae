"""Request and answer schemas of the tickets API."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from kefu.core.api_support import ComponentName, Text
from kefu.customers.models import Tier
from kefu.tickets import selectors, services
from kefu.tickets.models import Channel, Priority, TicketType
from kefu.tickets.states import Status

# Published under names of their own: the knowledge base has a `Status` too (issue 13).
TicketStatus = Annotated[Status, ComponentName("TicketStatus")]
TicketPriority = Annotated[Priority, ComponentName("TicketPriority")]
TicketChannel = Annotated[Channel, ComponentName("TicketChannel")]
CustomerTier = Annotated[Tier, ComponentName("CustomerTier")]

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
SUBJECT_MAX = services.SUBJECT_MAX
BODY_MAX = services.BODY_MAX
TagName = Annotated[Text, Field(min_length=1, max_length=50)]


class Input(Schema):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- output schemas


class UserRef(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    email: str
    tier: CustomerTier


class NamedRef(Schema):
    id: int
    name: str


class TicketOut(Schema):
    id: int
    number: str
    subject: str
    status: TicketStatus
    priority: TicketPriority
    type: TicketType
    channel: TicketChannel
    customer: CustomerRef
    assignee: UserRef | None
    team: NamedRef | None
    category: NamedRef | None
    tags: list[str]
    parent_id: int | None
    order_ref: str = Field(description="The order number read from the first message, or empty")
    version: int = Field(description="Send it back with PATCH: a stale version answers 409")
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    kind: str = Field(description="public, internal (staff only) or system")
    author: UserRef | None
    from_customer: bool
    channel: TicketChannel
    body_text: str
    body_html: str = Field(description="Sanitised HTML (nh3 allow-list); safe to insert into a page")
    created_at: datetime
    attachments: list[AttachmentOut]


class TicketDetail(TicketOut):
    messages: list[MessageOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class SearchHitOut(Schema):
    ticket: TicketOut
    rank: float
    subject_html: str = Field(description="Escaped subject with <mark> around matches")
    snippet_html: str = Field(description="Escaped excerpt with <mark> around matches")


class EventOut(Schema):
    id: int
    kind: str
    actor: UserRef | None
    field: str
    old_value: str
    new_value: str
    message_id: int | None
    created_at: datetime


class CreatedMessage(Schema):
    message: MessageOut
    rejected_attachments: list[str]


class LinkOut(Schema):
    source_id: int
    target_id: int


# --------------------------------------------------------------------------- input schemas


class TicketCreate(Input):
    subject: Text = Field(min_length=1, max_length=SUBJECT_MAX)
    body: Text = Field(min_length=1, max_length=BODY_MAX)
    type: TicketType = TicketType.CONSULTATION
    priority: TicketPriority | None = Field(None, description="Staff only")
    channel: TicketChannel | None = Field(None, description="Staff only; default api")
    customer: int | None = Field(None, ge=1, description="Staff only: the customer's id")
    customer_email: Text | None = Field(
        None,
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="Staff only: found or created by email",
        json_schema_extra={"pattern": EMAIL_PATTERN},  # pydantic leaves it out next to Text's validator
    )
    customer_phone: Text = Field(
        "",
        max_length=40,
        description=(
            "Staff only: found or created by phone number (digits; spaces, dashes, brackets and a "
            "leading + allowed). An invalid number answers 422 with `field: customer_phone`"
        ),
    )
    customer_name: Text = Field("", max_length=200, description="Staff only: name for a new customer")
    first_message: Literal["customer", "summary"] = Field(
        "customer",
        description=(
            "Staff only. `customer`: `body` is the customer's own words, a public message from the "
            "customer. `summary`: `body` is the agent's call summary, kept as an internal note (the "
            "customer's side opens with the subject)"
        ),
    )
    mail_customer: bool = Field(
        False, description="Staff only: mail the customer a receipt (quoting `body` when it is public)"
    )
    team: int | None = Field(None, ge=1, description="Staff only")
    tags: list[TagName] = Field(default_factory=list, max_length=20, description="Staff only")


class MessageIn(Input):
    body: Text = Field(min_length=1, max_length=BODY_MAX)


class TicketUpdate(Input):
    version: int = Field(ge=1, description="The version you read; a stale one answers 409")
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    type: TicketType | None = None
    subject: Text | None = Field(None, min_length=1, max_length=SUBJECT_MAX)
    assignee: int | None = Field(None, ge=1, description="An agent's id; null to unassign")
    team: int | None = Field(None, ge=1, description="A team's id; null for none")
    category: int | None = Field(None, ge=1, description="A category's id; null for none")
    tags: list[TagName] | None = Field(None, max_length=20)


class MergeIn(Input):
    into: int = Field(ge=1, description="The id of the ticket that survives")


class ParentIn(Input):
    parent: int | None = Field(..., ge=1, description="The parent ticket's id, or null to clear it")


class LinkIn(Input):
    to: int = Field(ge=1, description="The id of the related ticket")


class TicketQuery(Schema):
    view: Literal[selectors.VIEWS] = "all"  # type: ignore[valid-type]
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    channel: TicketChannel | None = None
    type: TicketType | None = None
    tier: CustomerTier | None = None
    team: int | None = Field(None, ge=1)
    assignee: int | None = Field(None, ge=1)
    category: int | None = Field(None, ge=1)
    customer: int | None = Field(None, ge=1)
    tag: Text | None = Field(None, max_length=50)
    sort: Literal[tuple(selectors.SORTS)] = "updated"  # type: ignore[valid-type]
    cursor: Text = Field("", max_length=200)
    limit: int = Field(50, ge=1, le=100)


class TicketSearchQuery(Schema):
    q: Text = Field(
        min_length=1, max_length=200, description="Words in Chinese or English, or a ticket number"
    )
    limit: int = Field(20, ge=1, le=100)
