"""Customers over the API: staff list, search and read them; a customer reads only themselves."""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kefu.core.api_support import ComponentName, Text

from . import selectors
from .models import Customer, Tier

CustomerTier = Annotated[Tier, ComponentName("CustomerTier")]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    tier: CustomerTier
    organisation_id: int | None
    organisation: str | None
    language: str
    city: str
    created_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: int | None


class CustomerQuery(Schema):
    q: Text = Field("", max_length=200, description="Part of a name, email or phone number")
    cursor: int | None = Field(None, ge=0, description="`next_cursor` of the previous page")
    limit: int = Field(50, ge=1, le=100)


def customer_out(customer: Customer) -> CustomerOut:
    organisation = customer.organisation
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        tier=customer.tier,
        organisation_id=customer.organisation_id,
        organisation=organisation.name if organisation else None,
        language=customer.language,
        city=customer.city,
        created_at=customer.created_at,
    )


router = Router(tags=["customers"])


@router.get("", response={200: CustomerPage}, summary="List or search customers")
def list_customers(request: HttpRequest, params: Query[CustomerQuery]):
    qs = (
        selectors.search_customers(request.auth, params.q.strip())
        .select_related("organisation")
        .order_by("pk")
    )
    if params.cursor is not None:
        qs = qs.filter(pk__gt=params.cursor)
    rows = list(qs[: params.limit + 1])
    next_cursor = rows[params.limit - 1].pk if len(rows) > params.limit else None
    return CustomerPage(items=[customer_out(c) for c in rows[: params.limit]], next_cursor=next_cursor)


@router.get("/{int:customer_id}", response={200: CustomerOut}, summary="Get one customer")
def get_customer(request: HttpRequest, customer_id: int):
    return customer_out(selectors.access_customer(request.auth, customer_id))
