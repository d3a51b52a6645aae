"""Customers over the API: staff list, search and read them (an agent only customers of tickets they
can see, through the scope tickets registers in core.extensions); a customer reads only themselves.

Phone numbers are masked (138****1234) for everyone but the customer themselves; supervisors and
administrators unmask them with `POST /customers/{id}/reveal-phone`, which the audit log records.
Merges, their undoing and tier overrides are for supervisors and administrators."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kefu.accounts.api import client_ip
from kefu.accounts.models import User
from kefu.core.api_support import ComponentName, Text
from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.idempotency import idempotent

from . import merging, privacy, selectors, services, tiers
from .masking import can_unmask, mask_phone, phone_for, reveal_phones
from .models import Customer, CustomerMerge, IdentityKind, Order, Tier
from .orders import push_order as push
from .tasks import run_erasure

CustomerTier = Annotated[Tier, ComponentName("CustomerTier")]
IdentityKindName = Annotated[IdentityKind, ComponentName("CustomerIdentityKind")]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str = Field(description="Masked (138****1234) unless it is your own number")
    tier: CustomerTier
    tier_name: str
    spend_12m: Decimal
    orders_12m: int
    organisation_id: int | None
    organisation: str | None
    language: str
    city: str
    merged_into_id: int | None
    created_at: datetime


class CustomerIdentityOut(Schema):
    id: int
    kind: IdentityKindName
    value: str


class CustomerNoteOut(Schema):
    id: int
    body: str
    author: str | None
    created_at: datetime


class CustomerDetail(CustomerOut):
    tags: list[str]
    identities: list[CustomerIdentityOut]
    notes: list[CustomerNoteOut]
    tier_override: CustomerTier | None
    tier_override_reason: str | None
    tier_override_until: datetime | None


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: int | None


class CustomerQuery(Schema):
    q: Text = Field("", max_length=200, description="Part of a name, email or phone number")
    cursor: int | None = Field(None, ge=0, description="`next_cursor` of the previous page")
    limit: int = Field(50, ge=1, le=100)


def customer_out(
    customer: Customer, user: User | None = None, *, names: dict[str, str] | None = None
) -> CustomerOut:
    organisation = customer.organisation
    names = names or tiers.tier_names()
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        email=customer.email,
        phone=phone_for(user, customer),
        tier=customer.tier,
        tier_name=names.get(customer.tier, customer.tier),
        spend_12m=customer.annual_spend,
        orders_12m=customer.orders_12m,
        organisation_id=customer.organisation_id,
        organisation=organisation.name if organisation else None,
        language=customer.language,
        city=customer.city,
        merged_into_id=customer.merged_into_id,
        created_at=customer.created_at,
    )


def detail_out(customer: Customer, user: User) -> CustomerDetail:
    base = customer_out(customer, user).dict()
    own = customer.user_id is not None and customer.user_id == user.pk
    override = tiers.override_active(customer, tiers.now())
    staff = user.is_agent
    return CustomerDetail(
        **base,
        tags=list(customer.tags.values_list("name", flat=True)),
        identities=[
            CustomerIdentityOut(
                id=i.pk,
                kind=i.kind,
                value=i.value if (i.kind != IdentityKind.PHONE or own) else mask_phone(i.value),
            )
            for i in customer.identities.all()
        ]
        if staff or own
        else [],
        notes=[
            CustomerNoteOut(
                id=n.pk, body=n.body, author=n.author.name if n.author else None, created_at=n.created_at
            )
            for n in customer.note_entries.select_related("author")[:50]
        ]
        if staff
        else [],
        tier_override=customer.tier_override if override else None,
        tier_override_reason=customer.tier_override_reason if override and staff else None,
        tier_override_until=customer.tier_override_until if override else None,
    )


def _staff(user: User) -> None:
    if not user.is_agent:
        raise PermissionDenied(_("Only staff can do this."))


def _supervisor(user: User) -> None:
    if not can_unmask(user):
        raise PermissionDenied(_("Only supervisors and administrators can do this."))


router = Router(tags=["customers"])


@router.get("", response={200: CustomerPage}, summary="List or search customers")
def list_customers(request: HttpRequest, params: Query[CustomerQuery]):
    qs = (
        # Browsing (no q) lists the customers this reader may open (agents: of tickets they can see);
        # a search is the look-up before opening a ticket for someone, as wide as intake's picker.
        selectors.search_customers(request.auth, params.q.strip(), scoped=not params.q.strip())
        .select_related("organisation")
        .order_by("pk")
    )
    if params.cursor is not None:
        qs = qs.filter(pk__gt=params.cursor)
    rows = list(qs[: params.limit + 1])
    next_cursor = rows[params.limit - 1].pk if len(rows) > params.limit else None
    names = tiers.tier_names()
    return CustomerPage(
        items=[customer_out(c, request.auth, names=names) for c in rows[: params.limit]],
        next_cursor=next_cursor,
    )


@router.get("/{int:customer_id}", response={200: CustomerDetail}, summary="Get one customer")
def get_customer(request: HttpRequest, customer_id: int):
    return detail_out(selectors.access_scoped_customer(request.auth, customer_id), request.auth)


class CustomerPhonesOut(Schema):
    phones: list[str]


@router.post(
    "/{int:customer_id}/reveal-phone",
    response={200: CustomerPhonesOut},
    summary="Show a customer's full phone numbers (supervisors, admins; audited)",
)
def reveal_phone(request: HttpRequest, customer_id: int):
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    return CustomerPhonesOut(phones=reveal_phones(customer, by=request.auth, ip=client_ip(request)))


class CustomerIdentityIn(Input):
    kind: IdentityKindName
    value: Text = Field(..., max_length=254)


@router.post("/{int:customer_id}/identities", response={201: CustomerIdentityOut}, summary="Add an identity")
@idempotent
def add_identity(request: HttpRequest, customer_id: int, payload: CustomerIdentityIn):
    """Another email, phone number, chat visitor id or shop id ("shop:id") of this customer;
    409 `identity_taken` when it names another customer (merge them instead)."""
    _staff(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    identity = services.add_identity(customer, kind=payload.kind, value=payload.value, by=request.auth)
    value = identity.value if identity.kind != IdentityKind.PHONE else mask_phone(identity.value)
    return 201, CustomerIdentityOut(id=identity.pk, kind=identity.kind, value=value)


class CustomerTagsIn(Input):
    tags: list[Annotated[str, Field(max_length=50)]] = Field(..., max_length=50)


@router.put("/{int:customer_id}/tags", response={200: list[str]}, summary="Set a customer's tags")
def set_tags(request: HttpRequest, customer_id: int, payload: CustomerTagsIn):
    _staff(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    return [t.name for t in services.set_tags(customer, names=payload.tags)]


class CustomerNoteIn(Input):
    body: Text = Field(..., max_length=10000)


@router.post("/{int:customer_id}/notes", response={201: CustomerNoteOut}, summary="Add a note on a customer")
@idempotent
def add_note(request: HttpRequest, customer_id: int, payload: CustomerNoteIn):
    _staff(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    note = services.add_note(customer, body=payload.body, by=request.auth)
    return 201, CustomerNoteOut(
        id=note.pk, body=note.body, author=request.auth.name, created_at=note.created_at
    )


class OrderOut(Schema):
    id: int
    order_id: str
    shop: str
    customer_id: int
    amount: Decimal
    currency: str
    ordered_at: datetime
    source: str
    created_at: datetime


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.pk,
        order_id=order.order_id,
        shop=order.shop,
        customer_id=order.customer_id,
        amount=order.amount,
        currency=order.currency,
        ordered_at=localtime(order.ordered_at),
        source=order.source,
        created_at=localtime(order.created_at),
    )


@router.get("/{int:customer_id}/orders", response={200: list[OrderOut]}, summary="A customer's orders")
def list_orders(request: HttpRequest, customer_id: int, limit: int = Query(100, ge=1, le=500)):
    """Staff read any customer's orders; a customer only their own."""
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    return [order_out(o) for o in selectors.customer_orders(customer)[:limit]]


class TierChangeOut(Schema):
    from_tier: CustomerTier
    to_tier: CustomerTier
    reason: str
    note: str
    spend_12m: Decimal
    orders_12m: int
    by: str | None
    created_at: datetime


@router.get("/{int:customer_id}/tiers", response={200: list[TierChangeOut]}, summary="Tier history")
def tier_history(request: HttpRequest, customer_id: int):
    _staff(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    return [
        TierChangeOut(
            from_tier=c.from_tier,
            to_tier=c.to_tier,
            reason=c.reason,
            note=c.note,
            spend_12m=c.spend_12m,
            orders_12m=c.orders_12m,
            by=c.by.name if c.by else None,
            created_at=c.created_at,
        )
        for c in selectors.tier_history(customer)[:200]
    ]


class TierOverrideIn(Input):
    tier: CustomerTier
    reason: Text = Field(..., max_length=300)
    until: datetime | None = Field(
        None, description="When the computed tier applies again (none: until removed)"
    )


@router.put(
    "/{int:customer_id}/tier-override", response={200: CustomerDetail}, summary="Set the tier by hand"
)
def set_override(request: HttpRequest, customer_id: int, payload: TierOverrideIn):
    _supervisor(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    customer = tiers.set_tier_override(
        customer, tier=payload.tier, reason=payload.reason, until=payload.until, by=request.auth
    )
    return detail_out(customer, request.auth)


@router.delete(
    "/{int:customer_id}/tier-override", response={200: CustomerDetail}, summary="End a tier override"
)
def clear_override(request: HttpRequest, customer_id: int):
    _supervisor(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    return detail_out(tiers.clear_tier_override(customer, by=request.auth), request.auth)


class CustomerMergeIn(Input):
    into: int = Field(..., ge=1, description="The customer that keeps the history")


class CustomerMergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    moved: dict[str, int]
    created_at: datetime
    undone_at: datetime | None


def merge_out(merge: CustomerMerge) -> CustomerMergeOut:
    return CustomerMergeOut(
        id=merge.pk,
        source_id=merge.source_id,
        target_id=merge.target_id,
        moved={key: len(ids) for key, ids in merge.moved.items()},
        created_at=merge.created_at,
        undone_at=merge.undone_at,
    )


@router.post(
    "/{int:customer_id}/merge",
    response={200: CustomerMergeOut},
    summary="Merge a duplicate into another customer",
)
@idempotent
def merge(request: HttpRequest, customer_id: int, payload: CustomerMergeIn):
    """All history of this customer (tickets, orders, identities, notes…) moves to `into`; 422
    `merge_refused` into itself or when either is already merged. Undo with
    `POST /customers/merges/{id}/undo`."""
    _supervisor(request.auth)
    source = selectors.access_scoped_customer(request.auth, customer_id)
    try:
        into = selectors.access_scoped_customer(request.auth, payload.into)
    except NotFound:
        raise NotFound(_("Customer not found."), field="into") from None
    return 200, merge_out(merging.merge_customers(source, into=into, by=request.auth, ip=client_ip(request)))


@router.post("/merges/{int:merge_id}/undo", response={200: CustomerMergeOut}, summary="Undo a merge")
@idempotent
def undo_merge(request: HttpRequest, merge_id: int):
    _supervisor(request.auth)
    record = CustomerMerge.objects.filter(pk=merge_id).first()
    if record is None:
        raise NotFound(_("Merge not found."))
    return 200, merge_out(merging.unmerge(record, by=request.auth, ip=client_ip(request)))


# --------------------------------------------------------------------------- orders pushed by shops

orders_router = Router(tags=["orders"])


class OrderIn(Input):
    order_id: Text = Field(..., max_length=100)
    shop: Text = Field("", max_length=100, description="The shop's name; order ids are unique per shop")
    customer_email: Text = Field("", max_length=254)
    customer_name: Text = Field("", max_length=200)
    phone: Text = Field("", max_length=40)
    amount: Decimal
    currency: Text = Field("CNY", max_length=3)
    ordered_at: datetime


@orders_router.post(
    "", response={200: OrderOut, 201: OrderOut}, summary="Push an order (idempotent by order id)"
)
@idempotent
def push_order(request: HttpRequest, payload: OrderIn):
    """A shop pushes one order (supervisor or administrator token). The customer is found by email
    (any of their addresses) and created if unknown; without an email, by phone. The same shop and
    `order_id` again answers 200 with the order stored the first time and changes nothing."""
    _supervisor(request.auth)
    pushed = push(payload.dict(), by=request.auth)
    return (201 if pushed.created else 200), order_out(pushed.order)


# --------------------------------------------------------------------------- PIPL/GDPR requests


@router.get(
    "/{int:customer_id}/export",
    response={200: None},
    summary="Everything kept about one customer, as a ZIP (supervisors, admins; audited)",
)
def export_customer(request: HttpRequest, customer_id: int):
    _supervisor(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    data = privacy.export_customer(customer, by=request.auth, ip=client_ip(request))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.zip"'
    return response


class ErasureIn(Input):
    reason: Text = Field("", max_length=300)


class ErasureOut(Schema):
    id: int
    subject: str
    done: dict[str, int]
    finished_at: datetime | None


@router.post(
    "/{int:customer_id}/erase",
    response={202: ErasureOut},
    summary="Erase one customer's data (supervisors, admins; resumable, audited by pseudonym)",
)
@idempotent
def erase_customer(request: HttpRequest, customer_id: int, payload: ErasureIn):
    """409 `erasure_refused` with the reason (open tickets, a merged duplicate, already erased)."""
    _supervisor(request.auth)
    customer = selectors.access_scoped_customer(request.auth, customer_id)
    erasure = privacy.request_erasure(customer, by=request.auth, reason=payload.reason, ip=client_ip(request))
    transaction.on_commit(lambda: run_erasure.delay(erasure.pk))
    return 202, ErasureOut(
        id=erasure.pk, subject=erasure.subject, done=erasure.done, finished_at=erasure.finished_at
    )
