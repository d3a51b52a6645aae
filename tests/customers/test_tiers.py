"""Tiers from 12-month spend and orders: configurable rules, nightly recompute, history, overrides."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from kefu.core.errors import ValidationFailed
from kefu.customers.models import Customer, Order, Tier, TierChange, TierRule
from kefu.customers.tasks import recompute_tiers
from kefu.customers.tiers import clear_tier_override, recompute_customers, set_tier_override, tier_names

pytestmark = pytest.mark.django_db


def order(customer, n, amount, *, days_ago, currency="CNY"):
    return Order.objects.create(
        order_id=f"{customer.pk}-{n}",
        customer=customer,
        amount=Decimal(amount),
        currency=currency,
        ordered_at=timezone.now() - timedelta(days=days_ago),
    )


def test_default_rules_are_seeded_with_chinese_names():
    assert tier_names() == {"regular": "Regular", "vip": "VIP", "premium_vip": "Premium VIP"}  # English
    with translation.override("zh-hans"):
        assert tier_names() == {"regular": "普通", "vip": "VIP", "premium_vip": "高级VIP"}
    assert list(TierRule.objects.values_list("tier", "min_spend_12m", "min_orders_12m")) == [
        ("premium_vip", Decimal("20000.00"), 36),
        ("vip", Decimal("5000.00"), 12),
        ("regular", Decimal("0.00"), 0),
    ]


def test_spend_and_order_count_of_the_rolling_twelve_months(customer_x, customer_y):
    order(customer_x, 1, "30000", days_ago=10)
    order(customer_x, 2, "25000", days_ago=300)
    order(customer_x, 3, "90000", days_ago=370)  # more than a year ago: does not count
    order(customer_x, 4, "9999", days_ago=5, currency="USD")  # counts as an order, not as CNY spend
    for n in range(12):
        order(customer_y, 10 + n, "10", days_ago=n + 1)  # 12 small orders: VIP by frequency
    assert recompute_tiers.delay().get() == 2
    customer_x.refresh_from_db()
    customer_y.refresh_from_db()
    assert (customer_x.tier, customer_x.annual_spend, customer_x.orders_12m) == (
        Tier.PREMIUM_VIP,
        Decimal("55000.00"),
        3,
    )
    assert (customer_y.tier, customer_y.annual_spend, customer_y.orders_12m) == (
        Tier.VIP,
        Decimal("120.00"),
        12,
    )
    change = TierChange.objects.get(customer=customer_x)
    assert (change.from_tier, change.to_tier, change.reason, change.spend_12m) == (
        "regular",
        "premium_vip",
        "computed",
        Decimal("55000.00"),
    )
    assert recompute_tiers.delay().get() == 0  # a second run (another node, a repeat) changes nothing
    assert TierChange.objects.count() == 2


def test_thresholds_and_names_are_configurable(customer_x):
    TierRule.objects.filter(tier="vip").update(name="银卡", min_spend_12m=500, min_orders_12m=3, match="all")
    order(customer_x, 1, "600", days_ago=1)
    recompute_customers([customer_x.pk])
    customer_x.refresh_from_db()
    assert customer_x.tier == Tier.REGULAR  # spend reached, orders not: "all" needs both
    order(customer_x, 2, "1", days_ago=1)
    order(customer_x, 3, "1", days_ago=1)
    recompute_customers([customer_x.pk])
    customer_x.refresh_from_db()
    assert customer_x.tier == Tier.VIP and tier_names()["vip"] == "银卡"


def test_a_customer_without_orders_keeps_a_tier_given_by_hand(customer_x):
    Customer.objects.filter(pk=customer_x.pk).update(tier=Tier.VIP)
    recompute_customers()
    recompute_customers([customer_x.pk])
    customer_x.refresh_from_db()
    assert customer_x.tier == Tier.VIP


def test_an_override_holds_until_it_expires_then_the_computed_tier_returns(
    customer_x, lead_zhao, fixed_clock
):
    order(customer_x, 1, "8000", days_ago=3)
    recompute_customers([customer_x.pk])
    with pytest.raises(ValidationFailed):
        set_tier_override(customer_x, tier=Tier.PREMIUM_VIP, reason=" ", until=None, by=lead_zhao)
    with pytest.raises(ValidationFailed):
        set_tier_override(
            customer_x, tier=Tier.PREMIUM_VIP, reason="大客户", until=timezone.now(), by=lead_zhao
        )
    set_tier_override(
        customer_x,
        tier=Tier.PREMIUM_VIP,
        reason="年度框架协议",
        until=timezone.now() + timedelta(days=30),
        by=lead_zhao,
    )
    recompute_customers()
    customer_x.refresh_from_db()
    assert customer_x.tier == Tier.PREMIUM_VIP
    fixed_clock.shift(timedelta(days=31))
    recompute_customers()
    customer_x.refresh_from_db()
    assert (customer_x.tier, customer_x.tier_override) == (Tier.VIP, "")
    reasons = list(
        TierChange.objects.filter(customer=customer_x).order_by("pk").values_list("reason", "to_tier")
    )
    assert reasons == [("computed", "vip"), ("override", "premium_vip"), ("override_ended", "vip")]
    assert TierChange.objects.get(reason="override").note == "年度框架协议"


def test_removing_an_override_applies_the_computed_tier_at_once(customer_x, lead_zhao):
    set_tier_override(customer_x, tier=Tier.VIP, reason="投诉安抚", until=None, by=lead_zhao)
    customer_x = clear_tier_override(customer_x, by=lead_zhao)
    assert customer_x.tier == Tier.REGULAR
    assert TierChange.objects.filter(customer=customer_x).count() == 2
