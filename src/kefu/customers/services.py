"""Use cases of customers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Upper

from .models import Customer, Organisation


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    if "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def find_or_create_customer(
    *, email: str = "", name: str = "", phone: str = "", language: str = "zh-hans"
) -> Customer:
    """The customer with this email (or phone), created on first contact.

    Inside `customer_batch()` (a bulk load) the answer comes from the batch's cache when it can."""
    email = normalise_email(email)
    batch = _batch.get()
    key = _key(email)
    if batch is not None and key:
        return batch.find_or_create(key, email=email, name=name, phone=phone, language=language)
    return _find_or_create(email=email, name=name, phone=phone, language=language)


@transaction.atomic
def _find_or_create(*, email: str, name: str, phone: str, language: str) -> Customer:
    existing = None
    if email:
        existing = Customer.objects.filter(email__iexact=email).order_by("pk").first()
    elif phone:
        existing = Customer.objects.filter(phone=phone).order_by("pk").first()
    if existing:
        return existing
    return _create(email=email, name=name, phone=phone, language=language, organisation=_organisation(email))


def _organisation(email: str) -> Organisation | None:
    if email and "@" in email:
        return Organisation.objects.filter(domain__iexact=email.rpartition("@")[2]).first()
    return None


def _create(
    *, email: str, name: str, phone: str, language: str, organisation: Organisation | None
) -> Customer:
    return Customer.objects.create(
        email=email,
        name=(name or email.partition("@")[0] or phone)[:200],
        phone=phone,
        language=language,
        organisation=organisation,
    )


# --------------------------------------------------------------------------- bulk loads
#
# A mail archive import asks for the customer of every mail: one query per mail (a scan, since
# `email__iexact` uses no index) became the largest single cost. Inside `customer_batch()` the
# customers are looked up in bulk and remembered for the batch. Only ASCII addresses are cached:
# for them `UPPER(email) IN (…)` matches exactly the rows `email__iexact` matches, on SQLite (ASCII
# case folding in both) and on PostgreSQL (UPPER on both sides); any other address is looked up
# as before.


def _key(email: str) -> str:
    """The cache key of an email address: "" when it is not cached (not an ASCII address)."""
    if "@" not in email or not email.isascii():
        return ""
    return email.upper()


@dataclass
class _Batch:
    customers: dict[str, Customer | None] = field(default_factory=dict)  # None: known not to exist
    organisations: dict[str, Organisation | None] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # keys of the customers created, in order

    def find_or_create(self, key: str, *, email: str, name: str, phone: str, language: str) -> Customer:
        if key not in self.customers:
            self.customers[key] = Customer.objects.filter(email__iexact=email).order_by("pk").first()
        found = self.customers[key]
        if found is not None:
            return found
        domain = key.rpartition("@")[2]
        if domain not in self.organisations:
            self.organisations[domain] = _organisation(email)
        customer = _create(
            email=email, name=name, phone=phone, language=language, organisation=self.organisations[domain]
        )
        self.customers[key] = customer
        self.created.append(key)
        return customer


_batch: ContextVar[_Batch | None] = ContextVar("kefu_customer_batch", default=None)
PREFETCH_CHUNK = 500


@contextmanager
def customer_batch() -> Iterator[None]:
    """A bulk load inside one transaction: `find_or_create_customer()` remembers the customers it
    finds or creates until the block ends (use `prefetch_customers()` to read many in one query).

    A customer created inside a savepoint that then rolls back no longer exists: wrap each unit of
    work that may roll back on its own in `forget_on_rollback()`. Nested blocks join the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    token = _batch.set(_Batch())
    try:
        yield
    finally:
        _batch.reset(token)


def prefetch_customers(emails: Iterable[str]) -> None:
    """Read the customers of these addresses in one query (inside `customer_batch()`; else nothing)."""
    batch = _batch.get()
    if batch is None:
        return
    keys = sorted(
        {key for key in map(_key, map(normalise_email, emails)) if key and key not in batch.customers}
    )
    for start in range(0, len(keys), PREFETCH_CHUNK):
        chunk = keys[start : start + PREFETCH_CHUNK]
        found: dict[str, Customer] = {}
        for customer in (
            Customer.objects.alias(_email_key=Upper("email")).filter(_email_key__in=chunk).order_by("pk")
        ):
            if not customer.email.isascii():
                # matched by a database case mapping Python may not share: look these up one by one
                found = {}
                break
            found.setdefault(customer.email.upper(), customer)
        else:
            batch.customers.update({key: found.get(key) for key in chunk})


@contextmanager
def forget_on_rollback() -> Iterator[None]:
    """Around a savepoint of a bulk load: if it raises, the customers created inside it (rolled back
    with it) are forgotten by the batch's cache, so a later mail does not point at a missing row."""
    batch = _batch.get()
    mark = len(batch.created) if batch is not None else 0
    try:
        yield
    except BaseException:
        if batch is not None:
            for key in batch.created[mark:]:
                batch.customers.pop(key, None)
            del batch.created[mark:]
        raise
