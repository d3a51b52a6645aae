"""The demo's months of history (ops.demo_history): shape for the charts, written once."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.core import metrics
from kefu.core.clock import now
from kefu.ops import demo
from kefu.ops.demo_history import load_history, settle_outcomes
from kefu.sla.models import SlaTimer
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import search_tickets

# Their fixtures are dated around the suite's default instant (a Wednesday in June 2026); the
# run a year later (KEFU_TEST_NOW) would move "today" away from them.
pytestmark = pytest.mark.now("2026-06-10 10:00")


def test_history_gives_the_charts_a_year_of_shape_and_is_written_once(db, django_user_model):
    demo.ensure_people()
    demo.ensure_customers(40, 2026)
    demo.ensure_categories()
    written = load_history(seed=2026, current=now())  # the test's instant: 2026-06-10 10:00
    assert 900 < written < 2500 and Ticket.objects.count() == written
    assert load_history(seed=2026, current=now()) == 0 and Ticket.objects.count() == written

    def monthly(key):
        series = metrics.compute(key, start=date(2025, 3, 1), end=date(2026, 2, 28), grain="month")
        return {p.bucket.month: p.value for p in series.points}

    created = monthly("tickets_created")
    assert len(created) == 12  # every month of the year before the detailed demo
    assert created[11] > 1.5 * created[10]  # the Double 11 wave
    assert created[1] + created[12] > created[3] + created[4]  # grows over the year
    first = monthly("first_response_minutes")
    assert first[3] > first[1] * 1.2  # answers get faster
    solved = metrics.total("tickets_solved", start=date(2025, 3, 1), end=date(2026, 2, 28))
    assert solved > 0.9 * sum(created.values())
    compliance = metrics.compute(
        "sla_compliance", start=date(2025, 3, 1), end=date(2026, 2, 28), grain="month"
    )
    assert all(0 < p.value < 100 for p in compliance.points)
    assert 0 < metrics.total("reopen_rate", start=date(2025, 3, 1), end=date(2026, 2, 28)) < 15
    lead = django_user_model.objects.get(username="zhaomin")
    assert search_tickets(lead, "退货")  # searchable like every other ticket
    # finished tickets already have their outcomes: settling adds nothing
    timers = SlaTimer.objects.count()
    assert settle_outcomes(current=now()) == 0 and SlaTimer.objects.count() == timers == 2 * written
