"""Leads and referral rewards: an enquiry from someone with no orders is a lead; its agent is
rewarded on the first order (fixed + percent) and on each later one (its own rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kefu.accounts.models import AuditEntry
from kefu.care import referrals
from kefu.care.models import Lead, ReferralReward
from kefu.core import metrics
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel

from .test_keycare import order

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def lead(open_ticket, run, customer_x, agent_li):
    ticket = open_ticket(customer_x, subject="想了解一下你们的产品", channel=Channel.PHONE)
    run(tickets.assign, ticket, to=agent_li, by=agent_li)
    return Lead.objects.get(customer=customer_x)


def test_enquiry_without_orders_is_a_lead_with_source_and_agent(lead, agent_li):
    assert lead.source == Channel.PHONE
    assert lead.agent == agent_li


def test_customer_with_orders_is_no_lead(open_ticket, customer_y):
    order(customer_y, 10, when="2026-01-01 10:00")
    open_ticket(customer_y)
    assert not Lead.objects.exists()


def test_one_lead_per_customer(lead, open_ticket, customer_x):
    open_ticket(customer_x, subject="再问一次")
    assert Lead.objects.count() == 1


def test_first_and_later_orders_are_rewarded_once(lead, customer_x, agent_li, settings):
    settings.KEFU_CARE = {"referral_first": ("50", "5"), "referral_repeat": ("0", "2")}
    order(customer_x, 999, when="2026-01-01 10:00")  # before the lead: not its doing
    order(customer_x, 1000, when="2026-06-11 10:00")
    order(customer_x, 300, when="2026-06-12 10:00")
    assert referrals.sync() == 2
    assert referrals.sync() == 0
    rewards = list(ReferralReward.objects.order_by("order__ordered_at"))
    assert [(r.first, r.amount, r.agent) for r in rewards] == [
        (True, Decimal("100.00"), agent_li),  # 50 + 5 % of 1000
        (False, Decimal("6.00"), agent_li),  # 0 + 2 % of 300
    ]
    lead.refresh_from_db()
    assert lead.converted_at is not None
    order(customer_x, 50, when="2026-06-20 10:00")
    assert referrals.sync() == 1
    assert ReferralReward.objects.filter(first=True).count() == 1


def test_monthly_report_page_and_csv(lead, customer_x, agent_li, lead_zhao, client, fixed_clock):
    order(customer_x, 1000, when="2026-06-11 10:00")
    order(customer_x, 300, when="2026-06-12 10:00")
    referrals.sync()
    rows = referrals.report(period="2026-06")
    assert [(r.agent, r.first_orders, r.later_orders, r.amount) for r in rows] == [
        (agent_li, 1, 1, Decimal("106.00"))
    ]
    assert metrics.total(
        "referral_rewards", start=date(2026, 6, 1), end=date(2026, 6, 30), filters={"agent": [agent_li.pk]}
    ) == pytest.approx(106.0)
    client.force_login(lead_zhao)
    page = client.get("/agent/care/referrals/?period=2026-06")
    assert page.status_code == 200 and agent_li.name in page.content.decode()
    # money as money: two decimals, not the database's sum digits (SQLite: 106.000000000000)
    assert "<td>106.00</td>" in page.content.decode()
    assert client.get("/agent/care/referrals.csv?period=2026-06").status_code == 405  # no GET side effects
    csv = client.post("/agent/care/referrals.csv", {"period": "2026-06"})
    assert csv.status_code == 200
    assert f"{agent_li.name},1,1,106.00" in csv.content.decode("utf-8-sig")
    audit = AuditEntry.objects.get(action="care.referrals.export")
    assert (audit.actor, audit.row_count) == (lead_zhao, 1)
    client.force_login(agent_li)
    assert client.post("/agent/care/referrals.csv", {"period": "2026-06"}).status_code == 404


@pytest.mark.fault("D3")
def test_csv_neutralises_formulas(lead, customer_x, agent_li, lead_zhao, client):
    agent_li.display_name = '=HYPERLINK("http://evil")'
    agent_li.save()
    order(customer_x, 1000, when="2026-06-11 10:00")
    referrals.sync()
    body = referrals.export_csv(user=lead_zhao, period="2026-06").decode("utf-8-sig")
    assert "'=HYPERLINK" in body
