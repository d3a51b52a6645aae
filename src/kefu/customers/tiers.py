"""Tiers computed from orders: spend and number of orders in the rolling last 12 months.

`recompute_customers()` runs nightly (customers.tasks) and after every order import; a customer's
`tier` — what routing, SLA and automation read — is the computed tier unless an override set by
hand with a reason is running. Every change of tier is kept as a `TierChange`.

Only CNY orders count toward spend (no exchange rates are kept); every order counts toward the
number of orders. A customer who never had an order nor a tier change keeps the tier they have
(set by hand before orders were imported, or in the demo): there is nothing to compute it from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.core.errors import ValidationFailed

from .models import Customer, Order, Tier, TierChange, TierRule

SPEND_CURRENCY = "CNY"
CHUNK = 1000


def year_before(at: datetime) -> datetime:
    """The same instant one year earlier (29 February → 28 February)."""
    try:
        return at.replace(year=at.year - 1)
    except ValueError:
        return at.replace(year=at.year - 1, day=28)


@dataclass(frozen=True)
class Figures:
    spend_12m: Decimal
    orders_12m: int


def figures(customer_ids: Iterable[int] | None = None, *, at: datetime | None = None) -> dict[int, Figures]:
    """Spend (CNY) and order count of the last 12 months per customer, in one SQL aggregation."""
    at = at or now()
    qs = Order.objects.filter(ordered_at__gt=year_before(at), ordered_at__lte=at)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    rows = qs.values("customer_id").annotate(
        spend=Sum(
            Case(
                When(currency=SPEND_CURRENCY, then="amount"),
                default=Value(Decimal("0")),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            )
        ),
        n=Count("pk"),
    )
    return {
        r["customer_id"]: Figures(Decimal(r["spend"] or 0).quantize(Decimal("0.01")), r["n"]) for r in rows
    }


def rules() -> list[TierRule]:
    return list(TierRule.objects.order_by("-rank", "pk"))


def tier_for(spend: Decimal, orders: int, *, rule_list: list[TierRule]) -> str:
    """The tier of the first rule (highest rank first) these figures reach; 普通 when none does."""
    for rule in rule_list:
        spend_ok = rule.min_spend_12m > 0 and spend >= rule.min_spend_12m
        orders_ok = rule.min_orders_12m > 0 and orders >= rule.min_orders_12m
        if rule.min_spend_12m <= 0 and rule.min_orders_12m <= 0:
            return rule.tier
        if rule.match == TierRule.Match.ALL:
            if spend >= rule.min_spend_12m and orders >= rule.min_orders_12m:
                return rule.tier
        elif spend_ok or orders_ok:
            return rule.tier
    return Tier.REGULAR


DEFAULT_NAMES = {"regular": "普通", "vip": "VIP", "premium_vip": "高级VIP"}


def tier_names() -> dict[str, str]:
    """What people call each tier, by tier code: the name a rule was given, or, for a rule that
    keeps its default name (普通 / VIP / 高级VIP), the tier's label in the reader's language."""
    names = {t.value: str(t.label) for t in Tier}
    for tier, name in TierRule.objects.values_list("tier", "name"):
        if name != DEFAULT_NAMES.get(tier):
            names[tier] = name
    return names


def override_active(customer: Customer, at: datetime) -> bool:
    return bool(customer.tier_override) and (
        customer.tier_override_until is None or customer.tier_override_until > at
    )


@transaction.atomic
def recompute_customers(customer_ids: Iterable[int] | None = None, *, at: datetime | None = None) -> int:
    """Recompute spend, order count and tier of these customers (default: every customer with an
    order or an override). Returns how many changed tier. Safe to run twice or on two nodes: a
    second run finds nothing to change."""
    at = at or now()
    rule_list = rules()
    live = Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True)
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
    else:
        ids = list(
            live.filter(Q(pk__in=Order.objects.values("customer_id")) | ~Q(tier_override=""))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        numbers = figures(chunk, at=at)
        # customers whose tier comes from orders (now or before); the others keep a tier given by hand
        with_orders = set(Order.objects.filter(customer_id__in=chunk).values_list("customer_id", flat=True))
        with_orders |= set(
            TierChange.objects.filter(customer_id__in=chunk).values_list("customer_id", flat=True)
        )
        updates, history = [], []
        for customer in live.filter(pk__in=chunk).only(
            "pk", "tier", "annual_spend", "orders_12m", "tier_override", "tier_override_until"
        ):
            f = numbers.get(customer.pk, Figures(Decimal("0.00"), 0))
            reason, note = TierChange.Reason.COMPUTED, ""
            dirty = customer.annual_spend != f.spend_12m or customer.orders_12m != f.orders_12m
            if override_active(customer, at):
                tier = customer.tier_override
                reason = TierChange.Reason.OVERRIDE
            else:
                if customer.tier_override:
                    customer.tier_override, customer.tier_override_until = "", None
                    reason, note, dirty = TierChange.Reason.OVERRIDE_ENDED, _("override expired"), True
                tier = tier_for(f.spend_12m, f.orders_12m, rule_list=rule_list)
                if customer.pk not in with_orders and reason == TierChange.Reason.COMPUTED:
                    # never had an order nor a computed tier: keep the tier given by hand
                    tier = customer.tier
            if tier != customer.tier:
                history.append(
                    TierChange(
                        customer_id=customer.pk,
                        from_tier=customer.tier,
                        to_tier=tier,
                        reason=reason,
                        note=note,
                        spend_12m=f.spend_12m,
                        orders_12m=f.orders_12m,
                    )
                )
                customer.tier, dirty = tier, True
                changed += 1
            if dirty:
                customer.annual_spend, customer.orders_12m, customer.updated_at = (
                    f.spend_12m,
                    f.orders_12m,
                    at,
                )
                updates.append(customer)
        Customer.objects.bulk_update(
            updates,
            ["tier", "annual_spend", "orders_12m", "tier_override", "tier_override_until", "updated_at"],
            batch_size=500,
        )
        TierChange.objects.bulk_create(history, batch_size=500)
    return changed


@transaction.atomic
def set_tier_override(
    customer: Customer, *, tier: str, reason: str, until: datetime | None, by: User | None
) -> Customer:
    """Put a customer in a tier by hand, whatever their orders say, with a reason, until `until`
    (then the computed tier returns at the next recompute)."""
    if tier not in Tier.values:
        raise ValidationFailed(_("Unknown tier."), field="tier")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for setting the tier by hand."), field="reason")
    at = now()
    if until is not None and until <= at:
        raise ValidationFailed(_("The override must end in the future."), field="until")
    customer = Customer.objects.get(pk=customer.pk)
    old = customer.tier
    customer.tier_override, customer.tier_override_reason = tier, reason[:300]
    customer.tier_override_until, customer.tier_override_by = until, by
    customer.tier = tier
    customer.save(
        update_fields=[
            "tier",
            "tier_override",
            "tier_override_reason",
            "tier_override_until",
            "tier_override_by",
            "updated_at",
        ]
    )
    TierChange.objects.create(
        customer=customer,
        from_tier=old,
        to_tier=tier,
        reason=TierChange.Reason.OVERRIDE,
        note=reason[:300],
        spend_12m=customer.annual_spend,
        orders_12m=customer.orders_12m,
        by=by,
    )
    return customer


@transaction.atomic
def clear_tier_override(customer: Customer, *, by: User | None) -> Customer:
    """End an override now: the tier computed from the orders applies again."""
    customer = Customer.objects.get(pk=customer.pk)
    if not customer.tier_override:
        return customer
    f = figures([customer.pk]).get(customer.pk, Figures(Decimal("0.00"), 0))
    old = customer.tier
    customer.tier = tier_for(f.spend_12m, f.orders_12m, rule_list=rules())
    customer.tier_override, customer.tier_override_until = "", None
    customer.annual_spend, customer.orders_12m = f.spend_12m, f.orders_12m
    customer.save(
        update_fields=[
            "tier",
            "tier_override",
            "tier_override_until",
            "annual_spend",
            "orders_12m",
            "updated_at",
        ]
    )
    TierChange.objects.create(
        customer=customer,
        from_tier=old,
        to_tier=customer.tier,
        reason=TierChange.Reason.OVERRIDE_ENDED,
        note=_("override removed"),
        spend_12m=f.spend_12m,
        orders_12m=f.orders_12m,
        by=by,
    )
    return customer
