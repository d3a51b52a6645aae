from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import extensions
from kefu.core.clock import now
from kefu.core.errors import NotFound

from . import tiers
from .models import Customer, Order, TierChange


def visible_customers(user: User) -> QuerySet[Customer]:
    """Agents see every customer; a customer sees only their own record; others nothing."""
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if user.is_agent:
        return Customer.objects.select_related("organisation")
    if user.is_customer:
        return Customer.objects.filter(user=user)
    return Customer.objects.none()


def access_customer(user: User, customer_id: int) -> Customer:
    customer = visible_customers(user).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    return customer


def scoped_customers(user: User) -> QuerySet[Customer]:
    """`visible_customers` narrowed by the scopes higher apps register (tickets: an agent reads the
    customers of tickets they can see; supervisors all). The API's reads go through this; picking
    a customer for a new ticket (intake) keeps the wider `visible_customers`."""
    return extensions.scope_customers(user, visible_customers(user))


def access_scoped_customer(user: User, customer_id: int) -> Customer:
    customer = scoped_customers(user).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    return customer


def search_customers(user: User, q: str, *, scoped: bool = False) -> QuerySet[Customer]:
    qs = scoped_customers(user) if scoped else visible_customers(user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    return qs


def customer_summary(customer: Customer) -> dict:
    """One customer as `kefu customers show --json` prints it: tier (code and name), 12-month spend
    and orders computed now, the override, identities, tags, organisation."""
    figs = tiers.figures([customer.pk]).get(customer.pk, tiers.Figures(Decimal("0.00"), 0))
    override = tiers.override_active(customer, now())
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier,
        "tier_name": tiers.tier_names().get(customer.tier, customer.tier),
        "spend_12m": str(figs.spend_12m),
        "orders_12m": figs.orders_12m,
        "orders_total": customer.orders.count(),
        "tier_override": customer.tier_override if override else None,
        "tier_override_reason": customer.tier_override_reason if override else None,
        "tier_override_until": customer.tier_override_until.isoformat()
        if override and customer.tier_override_until
        else None,
        "organisation": customer.organisation.name if customer.organisation_id else None,
        "tags": list(customer.tags.values_list("name", flat=True)),
        "identities": [f"{kind}:{value}" for kind, value in customer.identities.values_list("kind", "value")],
        "merged_into": customer.merged_into_id,
    }


def tier_history(customer: Customer) -> QuerySet[TierChange]:
    return customer.tier_changes.select_related("by").order_by("-created_at", "-pk")


def customer_orders(customer: Customer) -> QuerySet[Order]:
    return customer.orders.order_by("-ordered_at", "-pk")
