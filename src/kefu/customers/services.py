"""Use cases of customers."""

from __future__ import annotations

from django.db import transaction

from .models import Customer, Organisation


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    if "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


@transaction.atomic
def find_or_create_customer(
    *, email: str = "", name: str = "", phone: str = "", language: str = "zh-hans"
) -> Customer:
    """The customer with this email (or phone), created on first contact."""
    email = normalise_email(email)
    existing = None
    if email:
        existing = Customer.objects.filter(email__iexact=email).order_by("pk").first()
    elif phone:
        existing = Customer.objects.filter(phone=phone).order_by("pk").first()
    if existing:
        return existing
    organisation = None
    if email and "@" in email:
        organisation = Organisation.objects.filter(domain__iexact=email.rpartition("@")[2]).first()
    return Customer.objects.create(
        email=email,
        name=(name or email.partition("@")[0] or phone)[:200],
        phone=phone,
        language=language,
        organisation=organisation,
    )
