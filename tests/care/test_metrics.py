"""The care figures, on fixtures counted by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kefu.care import callbacks, keycare
from kefu.care.models import Callback, CareTask, Complaint, KeyCustomer, Outcome
from kefu.core import metrics
from kefu.tickets.models import Channel, Ticket, TicketType
from tests.clock import SHANGHAI

from .test_callbacks import _solve

pytestmark = pytest.mark.now("2026-06-10 10:00")
JUNE = {"start": date(2026, 6, 1), "end": date(2026, 6, 30)}
KEYS = ("complaint_rate", "second_complaint_rate", "touch_rate", "callback_reach_rate", "referral_rewards")


def test_the_agreed_keys_are_registered():
    for key in KEYS:
        assert metrics.get(key).app == "care"


def test_complaint_rate(open_ticket, complaint, customer_x, customer_y, fixed_clock):
    # 10 June: 3 tickets, 1 complaint (web); 11 June: 1 ticket, 1 complaint (email)
    open_ticket(customer_x)
    open_ticket(customer_y, channel=Channel.EMAIL)
    complaint(customer_x)
    fixed_clock.shift(timedelta(days=1))
    complaint(customer_y, order="YS20260611000001", channel=Channel.EMAIL)
    assert metrics.total("complaint_rate", **JUNE) == pytest.approx(50.0)  # 2 of 4
    by_day = {p.bucket: p.value for p in metrics.compute("complaint_rate", grain="day", **JUNE).points}
    assert by_day == {date(2026, 6, 10): pytest.approx(100 / 3), date(2026, 6, 11): 100.0}
    by_channel = {p.group: p.value for p in metrics.compute("complaint_rate", by="channel", **JUNE).points}
    assert by_channel == {"web": 50.0, "email": 50.0}
    assert metrics.total("complaint_rate", filters={"type": ["complaint"]}, **JUNE) == 100.0
    drilled = metrics.get("complaint_rate").drill(metrics.window(**JUNE), None, None)
    assert set(drilled.values_list("type", flat=True)) == {TicketType.COMPLAINT}


def test_second_complaint_rate(complaint, customer_x, customer_y, fixed_clock):
    complaint(customer_x)  # first
    complaint(customer_y)  # first (another customer)
    fixed_clock.shift(timedelta(days=2))
    second = complaint(customer_x)  # second, 12 June
    assert metrics.total("second_complaint_rate", **JUNE) == pytest.approx(100 / 3)
    by_day = {p.bucket: p.value for p in metrics.compute("second_complaint_rate", grain="day", **JUNE).points}
    assert by_day == {date(2026, 6, 10): 0.0, date(2026, 6, 12): 100.0}
    drilled = metrics.get("second_complaint_rate").drill(metrics.window(**JUNE), None, None)
    assert list(drilled.values_list("pk", flat=True)) == [second.pk]
    assert Complaint.objects.count() == 3


def test_callback_reach_rate(open_ticket, customer_x, agent_li, agent_wang, settings, fixed_clock):
    settings.KEFU_CARE = {"callback_percent": 100}
    for i in range(4):
        _solve(open_ticket(customer_x, subject=f"t{i}"), agent_li, at=datetime(2026, 5, 9, tzinfo=SHANGHAI))
    callbacks.generate(period="2026-05")
    rows = list(Callback.objects.order_by("pk"))
    callbacks.work(rows[0], outcome=Outcome.SATISFIED, by=agent_li)
    callbacks.work(rows[1], outcome=Outcome.NOT_REACHED, by=agent_li)
    callbacks.work(rows[2], outcome=Outcome.REACHED, by=agent_wang)
    # rows[3] not worked: not counted
    assert metrics.total("callback_reach_rate", **JUNE) == pytest.approx(200 / 3)
    by_agent = {p.group: p.value for p in metrics.compute("callback_reach_rate", by="agent", **JUNE).points}
    assert by_agent == {str(agent_li.pk): 50.0, str(agent_wang.pk): 100.0}
    assert metrics.total("callback_reach_rate", start=date(2026, 5, 1), end=date(2026, 5, 31)) is None


def test_touch_rate_by_tier(complaint, customer_x, customer_y, agent_li):
    complaint(customer_x)
    complaint(customer_y)
    keycare.generate(period="2026-06")
    assert KeyCustomer.objects.count() == 2
    keycare.work(CareTask.objects.get(customer=customer_x), outcome=Outcome.REACHED, by=agent_li)
    assert metrics.total("touch_rate", **JUNE) == 50.0
    # listed and reached today (10 June): each counts on the day it happened
    (point,) = metrics.compute("touch_rate", grain="day", **JUNE).points
    assert (point.bucket, point.num, point.den) == (date(2026, 6, 10), 1.0, 2.0)
    by_tier = {p.group: (p.num, p.den) for p in metrics.compute("touch_rate", by="tier", **JUNE).points}
    assert by_tier == {"regular": (1.0, 2.0)}
    assert metrics.total("touch_rate", filters={"tier": ["vip"]}, **JUNE) is None
    assert Ticket.objects.count() == 2
