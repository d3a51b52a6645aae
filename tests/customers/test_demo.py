"""The demo's customers get a year of orders that add up to their spend, and tiers computed from them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from kefu.customers import demo
from kefu.customers.models import Customer, Order, Tier, TierChange

pytestmark = pytest.mark.django_db


def test_demo_orders_add_up_to_the_spend_and_keep_the_demo_tiers():
    spends = {
        "普通": ("1200.00", Tier.REGULAR),
        "银": ("8000.00", Tier.VIP),
        "金": ("52000.00", Tier.PREMIUM_VIP),
    }
    for name, (spend, tier) in spends.items():
        Customer.objects.create(
            name=name, email=f"{len(name)}{tier}@example.cn", annual_spend=Decimal(spend), tier=tier
        )
    demo.load_config()
    demo.load_config()  # twice: nothing more
    for name, (spend, tier) in spends.items():
        customer = Customer.objects.get(name=name)
        assert customer.orders.aggregate(s=Sum("amount"))["s"] == Decimal(spend)
        assert (customer.tier, customer.annual_spend) == (tier, Decimal(spend))
        assert customer.orders_12m == customer.orders.count() < 36
    assert not TierChange.objects.exists()  # the computed tiers are the demo's tiers
    assert Order.objects.filter(customer__name="金").count() >= 6
