"""Use cases of customers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import ValidationFailed

from .errors import IdentityTaken
from .models import Customer, CustomerIdentity, CustomerNote, IdentityKind, Organisation, Tag


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    if "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# A phone number as people write it: digits with spaces, dashes, dots or brackets between them and
# an optional leading "+" (400-800-1234, 010 6552 1234, +86 138 0013 8000). 5–15 digits (E.164 has
# at most 15; at least 8 after a "+"); a mainland mobile number (11 digits from 1) starts 13–19.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()（）]")
_PHONE = re.compile(r"\+?\d{5,15}")


def normalise_phone(phone: str, *, field: str = "phone") -> str:
    """The number with its separators removed, or ValidationFailed naming `field`. "" stays ""."""
    raw = (phone or "").strip()
    if not raw:
        return ""
    compact = _PHONE_SEPARATORS.sub("", raw)
    digits = compact.removeprefix("+86") if compact.startswith("+86") else compact
    mobile_like = len(digits) == 11 and digits.startswith("1")
    international_short = compact.startswith("+") and len(compact) < 9  # "+" and at least 8 digits
    if not _PHONE.fullmatch(compact) or international_short or (mobile_like and digits[1] not in "3456789"):
        raise ValidationFailed(
            _("“%(phone)s” is not a phone number: use digits, e.g. 13800138000 or 010-6552-1234.")
            % {"phone": raw[:40]},
            field=field,
        )
    return compact


def checked_email(email: str, *, field: str = "email") -> str:
    """The address normalised, or ValidationFailed naming `field`. "" stays ""."""
    email = normalise_email(email)
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            _("“%(email)s” is not an email address.") % {"email": email[:254]}, field=field
        ) from None
    return email


def find_or_create_customer(
    *, email: str = "", name: str = "", phone: str = "", language: str = "zh-hans", visitor_id: str = ""
) -> Customer:
    """The customer with this email (or phone, or chat visitor id), created on first contact.

    Resolves through the customer's other identities too (a second address, a number typed
    another way), and a merged duplicate answers for the customer it was merged into.
    Inside `customer_batch()` (a bulk load) the answer comes from the batch's cache when it can."""
    email = normalise_email(email)
    batch = _batch.get()
    key = _key(email)
    if batch is not None and key:
        return batch.find_or_create(key, email=email, name=name, phone=phone, language=language)
    return _find_or_create(email=email, name=name, phone=phone, language=language, visitor_id=visitor_id)


@transaction.atomic
def _find_or_create(*, email: str, name: str, phone: str, language: str, visitor_id: str = "") -> Customer:
    existing = None
    if email:
        existing = Customer.objects.filter(email__iexact=email).order_by("pk").first()
        existing = existing or _by_identity(IdentityKind.EMAIL, email)
    elif phone:
        existing = Customer.objects.filter(phone=phone).order_by("pk").first()
        if existing is None and _PHONE.fullmatch(phone):
            # typed once as "138-0013-8000", once as "13800138000": the same person
            existing = _by_phone(phone)
        existing = existing or _by_identity(IdentityKind.PHONE, phone)
    if existing is None and visitor_id:
        existing = _by_identity(IdentityKind.VISITOR, visitor_id)
    if existing:
        return _current(existing)
    customer = _create(
        email=email, name=name, phone=phone, language=language, organisation=_organisation(email)
    )
    if visitor_id:
        CustomerIdentity.objects.get_or_create(
            kind=IdentityKind.VISITOR,
            value=identity_value(IdentityKind.VISITOR, visitor_id),
            defaults={"customer": customer},
        )
    return customer


def _current(customer: Customer) -> Customer:
    """The customer that holds this one's history now: a merged duplicate answers for its target."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def identity_value(kind: str, value: str) -> str:
    """How an identity is stored and looked up: emails lower-case, numbers without separators."""
    value = (value or "").strip()
    if kind == IdentityKind.EMAIL:
        return normalise_email(value).lower()
    if kind == IdentityKind.PHONE:
        return _PHONE_SEPARATORS.sub("", value)
    return value[:254]


def _by_identity(kind: str, value: str) -> Customer | None:
    found = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=kind, value=identity_value(kind, value))
        .first()
    )
    return found.customer if found else None


def resolve_customer(*, kind: str, value: str) -> Customer | None:
    """The one customer this email, phone number, chat visitor id or shop id ("shop:id") names:
    the primary email/phone first, then the other identities; a merged duplicate answers for the
    customer it was merged into."""
    value = (value or "").strip()
    if not value:
        return None
    found = None
    if kind == IdentityKind.EMAIL:
        found = Customer.objects.filter(email__iexact=normalise_email(value)).order_by("pk").first()
    elif kind == IdentityKind.PHONE:
        compact = identity_value(kind, value)
        found = Customer.objects.filter(phone=compact).order_by("pk").first() or (
            _by_phone(compact) if _PHONE.fullmatch(compact) else None
        )
    found = found or _by_identity(kind, value)
    return _current(found) if found else None


@transaction.atomic
def add_identity(customer: Customer, *, kind: str, value: str, by: User | None = None) -> CustomerIdentity:
    """Another email, number, visitor id or shop id for this customer. Refused (IdentityTaken) when
    it already names another customer; adding one the customer has already changes nothing."""
    if kind not in IdentityKind.values:
        raise ValidationFailed(_("Unknown kind of identity."), field="kind")
    if kind == IdentityKind.EMAIL:
        value = checked_email(value, field="value")
    elif kind == IdentityKind.PHONE:
        value = normalise_phone(value, field="value")
    stored = identity_value(kind, value)
    if not stored:
        raise ValidationFailed(_("Give a value."), field="value")
    owner = resolve_customer(kind=kind, value=stored)
    if owner is not None and owner.pk != _current(customer).pk:
        raise IdentityTaken(
            _("%(value)s already belongs to customer %(name)s (#%(id)s): merge the two instead.")
            % {"value": stored, "name": owner.name, "id": owner.pk},
            field="value",
        )
    identity, _created = CustomerIdentity.objects.get_or_create(
        kind=kind, value=stored, defaults={"customer": customer}
    )
    return identity


def remove_identity(identity: CustomerIdentity) -> None:
    identity.delete()


@transaction.atomic
def set_tags(customer: Customer, *, names: Iterable[str]) -> list[Tag]:
    """The customer's tags become exactly these (created on first use)."""
    clean = sorted({n.strip()[:50] for n in names if n and n.strip()})
    tags = [Tag.objects.get_or_create(name=name)[0] for name in clean]
    customer.tags.set(tags)
    return tags


def add_note(customer: Customer, *, body: str, by: User | None) -> CustomerNote:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("A note needs some text."), field="body")
    return CustomerNote.objects.create(customer=customer, author=by, body=body[:10000])


def set_organisation(customer: Customer, *, organisation: Organisation | None) -> Customer:
    customer.organisation = organisation
    customer.save(update_fields=["organisation", "updated_at"])
    return customer


def _by_phone(phone: str) -> Customer | None:
    """The customer whose stored number, without its separators, is this one (a short scan of the
    rows that end with the same last four digits)."""
    for customer in Customer.objects.filter(phone__endswith=phone[-4:]).order_by("pk")[:200]:
        if _PHONE_SEPARATORS.sub("", customer.phone) == phone:
            return customer
    return None


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
            first = Customer.objects.filter(email__iexact=email).order_by("pk").first()
            first = first or _by_identity(IdentityKind.EMAIL, email)
            self.customers[key] = _current(first) if first else None
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


def created_in_batch() -> int:
    """How many customers the current `customer_batch()` has created so far (0 outside one)."""
    batch = _batch.get()
    return len(batch.created) if batch is not None else 0


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
            missing = [key.lower() for key in chunk if key not in found]
            for identity in CustomerIdentity.objects.select_related("customer").filter(
                kind=IdentityKind.EMAIL, value__in=missing
            ):
                found.setdefault(identity.value.upper(), identity.customer)
            batch.customers.update(
                {key: (_current(c) if (c := found.get(key)) is not None else None) for key in chunk}
            )


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
