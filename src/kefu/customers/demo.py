"""Demo orders: each demo customer's annual spend as a year of orders, so tiers are computed from
orders in the demo (the supervisor sees 普通 / VIP / 高级VIP come from spend and order count).
Safe to run twice: a customer who has orders already gets none."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from kefu.core.clock import now

from .models import Customer, Order, OrderSource
from .tiers import recompute_customers

SHOP = "云杉优品旗舰店"


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = sum(weights)
    amounts = [(total * Decimal(w / scale)).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for w in weights]
    amounts[-1] += total - sum(amounts)  # the cents left over: the sum is the spend exactly
    return amounts


@transaction.atomic
def load_config() -> None:
    current = now()
    with_orders = Order.objects.values("customer_id")
    customers = list(
        Customer.objects.filter(annual_spend__gt=0, merged_into__isnull=True)
        .exclude(pk__in=with_orders)
        .order_by("pk")
        .only("pk", "annual_spend", "tier")
    )
    rows = []
    for customer in customers:
        rng = random.Random(customer.pk)
        parts = {"regular": rng.randint(1, 6), "vip": rng.randint(3, 10)}.get(
            customer.tier, rng.randint(6, 20)
        )
        for n, amount in enumerate(_split(customer.annual_spend, parts, rng)):
            rows.append(
                Order(
                    order_id=f"YS{customer.pk:06d}{n:03d}",
                    shop=SHOP,
                    customer=customer,
                    amount=amount,
                    currency="CNY",
                    ordered_at=current - timedelta(days=rng.randint(1, 330), minutes=rng.randint(0, 1439)),
                    source=OrderSource.IMPORT,
                    raw={"demo": True},
                )
            )
    Order.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if customers:
        recompute_customers([c.pk for c in customers])
