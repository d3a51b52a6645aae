"""customers_by_tier: customers in each tier at the end of each day, on hand-counted fixtures."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kefu.core import metrics
from kefu.customers.models import Customer, Tier, TierChange
from tests.clock import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.mark.now("2026-06-05 10:00")
def test_customers_by_tier_follows_creations_and_tier_changes(fixed_clock):
    a = Customer.objects.create(name="A", email="a@example.com")
    Customer.objects.create(name="B", email="b@example.com")
    Customer.objects.create(name="C", email="c@example.com", tier=Tier.VIP)
    fixed_clock.move_to(datetime(2026, 6, 7, 23, 30, tzinfo=SHANGHAI))  # late evening, local day 7 June
    TierChange.objects.create(customer=a, from_tier="regular", to_tier="vip", reason="computed")
    Customer.objects.filter(pk=a.pk).update(tier=Tier.VIP)
    fixed_clock.move_to(datetime(2026, 6, 9, 9, 0, tzinfo=SHANGHAI))
    Customer.objects.create(name="D", email="d@example.com")
    merged = Customer.objects.create(name="E", email="e@example.com")
    Customer.objects.filter(pk=merged.pk).update(merged_into=a)  # a merged duplicate is not counted

    series = metrics.compute(
        "customers_by_tier", start=date(2026, 6, 4), end=date(2026, 6, 9), grain="day", by="tier"
    )
    got = {(p.bucket.isoformat(), p.group): p.value for p in series.points}
    assert got == {
        ("2026-06-05", "regular"): 2,
        ("2026-06-05", "vip"): 1,
        ("2026-06-06", "regular"): 2,
        ("2026-06-06", "vip"): 1,
        ("2026-06-07", "regular"): 1,
        ("2026-06-07", "vip"): 2,
        ("2026-06-08", "regular"): 1,
        ("2026-06-08", "vip"): 2,
        ("2026-06-09", "regular"): 2,
        ("2026-06-09", "vip"): 2,
    }
    # a stock over a week is its last day; a filter keeps the tiers asked for
    assert metrics.total("customers_by_tier", start=date(2026, 6, 4), end=date(2026, 6, 9)) == 4
    assert (
        metrics.total(
            "customers_by_tier", start=date(2026, 6, 4), end=date(2026, 6, 6), filters={"tier": ["vip"]}
        )
        == 1
    )
