"""Phone numbers masked (138****1234) for everyone without the right to see them whole.

Supervisors and administrators may unmask a customer's numbers; each unmasking is a line in the
audit log (who, which customer, from where). A customer sees their own number whole. Everyone else
— agents, QA, department members — sees the masked form in pages and in the API alike.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.accounts.services import record_audit

from .errors import UnmaskForbidden
from .models import Customer, IdentityKind

UNMASK_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def mask_phone(phone: str) -> str:
    """138****1234: the first three and the last four digits stay; short numbers keep the last two."""
    phone = phone or ""
    digits = sum(ch.isdigit() for ch in phone)
    if digits == 0:
        return phone
    keep_head, keep_tail = (3, 4) if digits >= 8 else (0, 2)
    out, seen = [], 0
    for ch in phone:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep_head or seen > digits - keep_tail else "*")
        else:
            out.append(ch)
    return "".join(out)


def can_unmask(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in UNMASK_ROLES)


def phone_for(user: User | None, customer: Customer) -> str:
    """The number as this reader may see it without unmasking (their own whole, else masked)."""
    if user is not None and customer.user_id is not None and customer.user_id == getattr(user, "pk", None):
        return customer.phone
    return mask_phone(customer.phone)


def reveal_phones(customer: Customer, *, by: User, ip: str = "") -> list[str]:
    """Every number of the customer, whole (the primary first), written to the audit log.
    UnmaskForbidden for roles without the right."""
    if not can_unmask(by):
        raise UnmaskForbidden(_("Only supervisors and administrators can see full phone numbers."))
    numbers = [customer.phone] if customer.phone else []
    numbers += [
        value
        for value in customer.identities.filter(kind=IdentityKind.PHONE).values_list("value", flat=True)
        if value not in numbers
    ]
    record_audit(
        actor=by,
        action="phone_unmask",
        summary=f"phone numbers of customer #{customer.pk} shown",
        row_count=len(numbers),
        detail={"customer": customer.pk},
        ip=ip,
    )
    return numbers
