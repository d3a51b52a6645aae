from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import NotFound

from .models import Customer


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


def search_customers(user: User, q: str) -> QuerySet[Customer]:
    qs = visible_customers(user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    return qs
