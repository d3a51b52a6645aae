"""Key-customer care: the month's list (top 20 % by 12-month spend + complainers), idempotent
tasks, touch rate, birthday and anniversary care for the top tiers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kefu.care import keycare
from kefu.care.errors import AlreadyWorked, BadOutcome
from kefu.care.models import CareKind, CareTask, CustomerProfile, KeyCustomer, Outcome
from kefu.core import metrics
from kefu.customers.models import Customer, Tier
from kefu.customers.orders import push_order
from tests.factories import CustomerFactory

pytestmark = pytest.mark.now("2026-06-10 10:00")


def order(customer, amount, when="2026-03-01 12:00", n=[0]):  # noqa: B006 (a counter)
    n[0] += 1
    push_order(
        {
            "order_id": f"T{n[0]:06d}",
            "customer_email": customer.email,
            "customer_name": customer.name,
            "amount": str(amount),
            "ordered_at": when,
        },
        by=None,
    )


@pytest.fixture
def ten_buyers(db):
    """Ten customers who spent 100, 200 … 1000 in the 12 months before June 2026."""
    people = [CustomerFactory(name=f"买家{i}") for i in range(1, 11)]
    for i, person in enumerate(people, start=1):
        order(person, 100 * i)
    old = CustomerFactory(name="老客户")
    order(old, 99999, when="2025-05-31 23:00")  # before the 12 months: not counted
    return people


def test_top_twenty_percent_by_spend(ten_buyers):
    assert keycare.top_spenders(date(2026, 6, 1)) == [
        (ten_buyers[9].pk, Decimal("1000.00")),
        (ten_buyers[8].pk, Decimal("900.00")),
    ]


def test_list_and_tasks_are_made_once(ten_buyers, complaint, customer_x):
    complaint(customer_x)
    created = keycare.generate(period="2026-06")
    assert created == 3  # two care calls, one callback
    entries = {k.customer_id: k for k in KeyCustomer.objects.filter(period="2026-06")}
    assert set(entries) == {ten_buyers[9].pk, ten_buyers[8].pk, customer_x.pk}
    assert entries[customer_x.pk].complained and not entries[customer_x.pk].top_spender
    kinds = dict(CareTask.objects.values_list("customer_id", "kind"))
    assert kinds[customer_x.pk] == CareKind.CALLBACK
    assert kinds[ten_buyers[9].pk] == CareKind.CARE
    assert keycare.generate(period="2026-06") == 0
    assert CareTask.objects.count() == 3 and KeyCustomer.objects.count() == 3


def test_a_complainer_joins_on_the_next_run(ten_buyers, complaint, customer_y):
    keycare.generate(period="2026-06")
    complaint(customer_y)
    assert keycare.generate(period="2026-06") == 1
    assert KeyCustomer.objects.get(customer=customer_y).complained


def test_percent_is_configurable(ten_buyers, settings):
    settings.KEFU_CARE = {"key_top_percent": 50, "key_include_complainers": False}
    keycare.generate(period="2026-06")
    assert KeyCustomer.objects.count() == 5


def test_touch_rate_counts_reached_customers(ten_buyers, complaint, customer_x, agent_li, agent_wang):
    complaint(customer_x)
    keycare.generate(period="2026-06")
    tasks = {t.customer_id: t for t in CareTask.objects.all()}
    keycare.work(tasks[customer_x.pk], outcome=Outcome.SATISFIED, service_matched=True, by=agent_li)
    keycare.work(tasks[ten_buyers[9].pk], outcome=Outcome.NOT_REACHED, by=agent_li)
    with pytest.raises(AlreadyWorked):
        keycare.work(tasks[customer_x.pk], outcome=Outcome.REACHED, by=agent_wang)
    with pytest.raises(BadOutcome):
        keycare.work(tasks[ten_buyers[8].pk], outcome="maybe", by=agent_li)
    # 1 of 3 on the list reached
    assert metrics.total("touch_rate", start=date(2026, 6, 1), end=date(2026, 6, 30)) == pytest.approx(
        100 / 3
    )
    assert CareTask.objects.get(customer=customer_x).service_matched is True


def test_birthday_and_anniversary_for_top_tiers(db):
    vip = CustomerFactory(name="贵宾", tier=Tier.VIP)
    regular = CustomerFactory(name="普通", tier=Tier.REGULAR)
    leap = CustomerFactory(name="闰年", tier=Tier.PREMIUM_VIP)
    CustomerProfile.objects.create(customer=vip, birthday=date(1990, 6, 18), customer_since=date(2020, 6, 2))
    CustomerProfile.objects.create(customer=regular, birthday=date(1990, 6, 18))
    CustomerProfile.objects.create(customer=leap, birthday=date(1992, 2, 29))
    Customer.objects.filter(pk__in=[vip.pk, leap.pk]).update(tier_override="")
    keycare.generate(period="2026-06")
    found = set(CareTask.objects.values_list("customer_id", "kind", "due_on"))
    assert found == {
        (vip.pk, CareKind.BIRTHDAY, date(2026, 6, 18)),
        (vip.pk, CareKind.ANNIVERSARY, date(2026, 6, 2)),
    }
    keycare.generate(period="2027-02")
    assert CareTask.objects.get(customer=leap).due_on == date(2027, 2, 28)
