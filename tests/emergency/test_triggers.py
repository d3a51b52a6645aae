"""Each trigger against hand-counted tickets: the window, the baseline of the same hour and
weekday over the previous weeks, the multiplier and the minimum."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.emergency import triggers
from kefu.sla.models import SlaTimer
from kefu.tickets.models import Channel

from .conftest import week

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db]


def _past(ticket_at, t0, per_week):
    """per_week[k-1] tickets in the same hour k weeks ago (baseline: their mean)."""
    for k, n in enumerate(per_week, start=1):
        for i in range(n):
            ticket_at(t0 - week(k), 5 + i)


def test_volume_fires_above_three_times_the_usual_for_that_hour_and_weekday(make_plan, ticket_at, t0):
    plan = make_plan(multiplier=3, baseline_weeks=4, min_count=3)
    _past(ticket_at, t0, [2, 1, 0, 1])  # mean 1.0 → fires above 3
    ticket_at(t0 - week(5), 10)  # five weeks ago: outside the baseline
    ticket_at(t0 - week(1), 70)  # a week ago but an hour earlier: outside that window
    for minutes in (1, 20, 59):
        ticket_at(t0, minutes)
    ticket_at(t0, 61)  # before the last hour
    quiet = triggers.read(plan, t0)
    assert (quiet.fired, quiet.figures["count"], quiet.figures["baseline"]) == (False, 3, 1.0)
    assert quiet.figures["weeks"] == [2, 1, 0, 1]
    ticket_at(t0, 30)
    fired = triggers.read(plan, t0)
    assert fired.fired and fired.figures["count"] == 4
    assert "4" in fired.text and "1.0" in fired.text


def test_volume_needs_the_minimum_even_when_the_usual_is_zero(make_plan, ticket_at, t0):
    plan = make_plan(min_count=5)
    for minutes in range(4):
        ticket_at(t0, minutes + 1)
    assert triggers.read(plan, t0).fired is False  # 4 > 3 × 0, but fewer than 5
    ticket_at(t0, 10)
    assert triggers.read(plan, t0).fired is True


def test_keyword_counts_only_tickets_that_mention_it(make_plan, ticket_at, t0):
    plan = make_plan(
        name="物流", trigger="keyword", keyword="快递/物流", multiplier=2, baseline_weeks=2, min_count=3
    )
    ticket_at(t0 - week(1), 5, subject="快递一直没到")  # baseline: (1 + 0) / 2 = 0.5
    ticket_at(t0, 5, subject="我的快递丢了")
    ticket_at(t0, 6, subject="咨询", body="物流信息三天没更新")  # in the first message
    ticket_at(t0, 7, subject="退款", body="想退款")  # does not match
    ticket_at(t0, 8, subject="發票問題")  # does not match either
    reading = triggers.read(plan, t0)
    assert (reading.fired, reading.figures["count"], reading.figures["baseline"]) == (False, 2, 0.5)
    ticket_at(t0, 9, subject="快遞延誤")  # Traditional characters fold to 快递
    reading = triggers.read(plan, t0)
    assert (reading.fired, reading.figures["count"]) == (True, 3)


def test_channel_silence_in_working_hours_only(make_plan, ticket_at, t0):
    plan = make_plan(name="电话静默", trigger="silence", channel=Channel.PHONE, window_minutes=30)
    ticket_at(t0, 31, channel=Channel.PHONE)  # before the window
    ticket_at(t0, 5, channel=Channel.WEB)  # another channel
    silent = triggers.read(plan, t0)  # Wednesday 10:00, office hours 09:00–12:00
    assert silent.fired and silent.figures == {"count": 0, "channel": "phone", "working_hours": True}
    ticket_at(t0, 29, channel=Channel.PHONE)
    assert triggers.read(plan, t0).fired is False


@pytest.mark.now("2026-06-13 10:00")
def test_channel_silence_on_a_saturday_is_not_an_incident(make_plan, t0):
    plan = make_plan(name="电话静默", trigger="silence", channel=Channel.PHONE, window_minutes=30)
    reading = triggers.read(plan, t0)
    assert reading.fired is False and reading.figures["working_hours"] is False


@pytest.mark.now("2026-06-10 09:15")
def test_channel_silence_needs_the_whole_window_in_working_hours(make_plan, t0):
    plan = make_plan(name="电话静默", trigger="silence", channel=Channel.PHONE, window_minutes=30)
    assert triggers.read(plan, t0).fired is False  # 08:45–09:15 starts before the office opens


def test_sla_breach_rate(make_plan, ticket_at, t0):
    plan = make_plan(name="SLA", trigger="sla_breach", percent=40, min_count=4)
    made = [ticket_at(t0, 50) for _ in range(5)]

    def timer(ticket, *, breached=None, met=None):
        SlaTimer.objects.create(
            ticket=ticket,
            metric="first_response",
            target_seconds=3600,
            started_at=t0 - timedelta(hours=2),
            breached_at=breached,
            met_at=met,
        )

    timer(made[0], breached=t0 - timedelta(minutes=10))
    timer(made[1], met=t0 - timedelta(minutes=20))
    timer(made[2], met=t0 - timedelta(minutes=30))
    timer(made[3], breached=t0 - timedelta(minutes=90))  # before the window
    reading = triggers.read(plan, t0)
    assert reading.figures["decided"] == 3 and reading.fired is False  # fewer than 4 decided
    timer(made[4], breached=t0 - timedelta(minutes=5), met=t0 - timedelta(minutes=1))  # late: a breach
    reading = triggers.read(plan, t0)
    assert (reading.figures["breached"], reading.figures["decided"], reading.figures["rate"]) == (2, 4, 50.0)
    assert reading.fired is True
    assert triggers.incident_tickets(plan, t0 - timedelta(hours=1), t0) == sorted([made[0].pk, made[4].pk])
