"""Fixtures of the plans tests: registry metrics of our own with known daily figures (so forecasts
are computed by hand), and a small ticket history opened through the real intake and ticket
services on chosen days (time-machine), read through the registered tickets_created metric."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from kefu.core import metrics
from kefu.core.metrics import Metric, Row
from kefu.tickets import services as tickets
from tests.clock import SHANGHAI
from tests.factories import CategoryFactory

# Daily figures of the test metrics: {day: (num, den)}; filled per test.
COUNTS: dict[date, float] = {}
RATIOS: dict[date, tuple[float, float]] = {}


def _count_rows(win, by):
    if win.filters.get("team") == ("999",):
        return []
    return [Row(d, "", n, 0.0) for d, n in sorted(COUNTS.items()) if win.start <= d <= win.end]


def _ratio_rows(win, by):
    return [Row(d, "", n, den) for d, (n, den) in sorted(RATIOS.items()) if win.start <= d <= win.end]


TEST_METRICS = [
    Metric(
        key="plan_test_count",
        name="测试计数",
        description="",
        unit="count",
        direction="higher",
        aggregate="count",
        formula="the day's number from COUNTS",
        rows=_count_rows,
        dimensions=("team", "agent"),
    ),
    Metric(
        key="plan_test_rate",
        name="测试比率",
        description="",
        unit="percent",
        direction="higher",
        aggregate="ratio",
        formula="num / den from RATIOS",
        rows=_ratio_rows,
        dimensions=("team", "agent"),
    ),
]


@pytest.fixture
def test_metrics():
    saved = dict(metrics._metrics)
    COUNTS.clear()
    RATIOS.clear()
    for m in TEST_METRICS:
        metrics.register(m)
    yield TEST_METRICS
    metrics._metrics.clear()
    metrics._metrics.update(saved)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def history(db, customer_x, lead_zhao, make_ticket):
    """April: one ticket (退货). May: three (two 退货, one 物流), the first solved the next day and
    not reopened. Opened, categorised and solved through the ticket services on those days."""
    returns = CategoryFactory(name="退货", parent=None)
    logistics = CategoryFactory(name="物流", parent=None)
    made = []
    for when, category in (
        ("2026-04-15 10:00", returns),
        ("2026-05-06 11:00", returns),
        ("2026-05-20 15:00", returns),
        ("2026-05-21 09:30", logistics),
    ):
        with time_machine.travel(at(when), tick=False):
            ticket = make_ticket(customer_x, subject=f"问题 {when}")
            ticket = tickets.update_ticket(ticket, by=lead_zhao, version=None, category=category)
        made.append(ticket)
    with time_machine.travel(at("2026-05-07 10:00"), tick=False):
        made[1] = tickets.change_status(made[1], to="solved", by=lead_zhao)
    return {"tickets": made, "returns": returns, "logistics": logistics}
