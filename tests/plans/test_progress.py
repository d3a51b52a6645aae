"""Goals' progress, forecast and status, hand-computed on test metrics with known daily figures.

Today is 2026-06-10 (tests/clock.py). The custom period 2026-06-07..2026-06-12 has 4 days gone
(07, 08, 09, 10) and 2 left; its previous period is 2026-06-01..2026-06-06."""

from __future__ import annotations

import math
from datetime import date

import pytest

from kefu.plans import progress, services
from tests.plans.conftest import COUNTS, RATIOS

# Their fixtures are dated around the suite's default instant (a Wednesday in June 2026); the
# run a year later (KEFU_TEST_NOW) would move "today" away from them.
pytestmark = pytest.mark.now("2026-06-10 10:00")

PERIOD = "2026-06-07..2026-06-12"


@pytest.fixture
def plan(lead_zhao):
    return services.create_plan(
        title="六月冲刺", kind="team", period=PERIOD, by=lead_zhao, prefill_review=False
    )


def goal(plan, lead_zhao, **kw):
    spec = services.GoalSpec(title=kw.pop("title", "目标"), owner=lead_zhao, **kw)
    return services.add_goal(plan, spec=spec, by=lead_zhao)


def test_a_straight_line_count_is_extended_to_the_end_of_the_period(test_metrics, plan, lead_zhao):
    # Days 07..10: 1, 2, 3, 4 → 10 so far; line y = 1 + x exactly; days 11, 12 → 5 + 6.
    for i, d in enumerate(range(7, 11)):
        COUNTS[date(2026, 6, d)] = i + 1.0
    g, warnings = goal(plan, lead_zhao, metric="plan_test_count", target=20)
    state = progress.goal_progress(g)
    assert state.value == 10
    assert state.forecast == pytest.approx(21.0)
    assert (state.low, state.high) == (pytest.approx(21.0), pytest.approx(21.0))  # no scatter, no band
    assert state.progress == pytest.approx(50.0)  # 10 of a period total of 20
    assert state.status == "on_track"
    assert state.trend == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    g.target = 22
    assert progress.goal_progress(g).status == "off_track"


def test_scatter_makes_a_band_and_at_risk(test_metrics, plan, lead_zhao):
    # 1, 3, 1, 3: slope 0.4, intercept 1.4, residuals ±0.4 ±1.2 → sd √(3.2/2); days left fit 3.0 and 3.4.
    for d, n in zip(range(7, 11), (1, 3, 1, 3), strict=True):
        COUNTS[date(2026, 6, d)] = float(n)
    g, _w = goal(plan, lead_zhao, metric="plan_test_count", target=15)
    state = progress.goal_progress(g)
    spread = 1.96 * math.sqrt(1.6) * math.sqrt(2)
    assert state.forecast == pytest.approx(14.4)
    assert state.low == pytest.approx(14.4 - spread)
    assert state.high == pytest.approx(14.4 + spread)
    assert state.status == "at_risk"  # 14.4 misses 15, the band's top (17.9) reaches it
    g.target = 14
    assert progress.goal_progress(g).status == "on_track"
    g.target = 18
    assert progress.goal_progress(g).status == "off_track"


def test_a_rate_weighs_the_days_gone_and_the_trend_of_the_days_left(test_metrics, plan, lead_zhao):
    # 1/10, 2/10, 3/10, 4/10 → 25 % so far; daily 10, 20, 30, 40 → days left 50, 60.
    for i, d in enumerate(range(7, 11)):
        RATIOS[date(2026, 6, d)] = (i + 1.0, 10.0)
    g, _w = goal(plan, lead_zhao, metric="plan_test_rate", target=30, baseline=20)
    state = progress.goal_progress(g)
    assert state.value == pytest.approx(25.0)
    assert state.forecast == pytest.approx((25 * 4 + 50 + 60) / 6)  # 35
    assert state.progress == pytest.approx(50.0)  # half-way from 20 to 30
    assert state.status == "on_track"


def test_the_baseline_is_read_from_the_period_before(test_metrics, plan, lead_zhao):
    for d in range(1, 7):  # 2026-06-01..06: two a day
        COUNTS[date(2026, 6, d)] = 2.0
    COUNTS[date(2026, 5, 31)] = 100.0  # outside the previous period
    g, warnings = goal(plan, lead_zhao, metric="plan_test_count", target=20)
    assert g.baseline == 12
    assert g.direction == "higher" and g.deadline == date(2026, 6, 12) and g.unit == "count"
    assert warnings == []


def test_a_metric_not_registered_is_not_available_yet(test_metrics, plan, lead_zhao):
    g, _w = goal(plan, lead_zhao, metric="plan_test_count", target=20)
    from kefu.core import metrics

    del metrics._metrics["plan_test_count"]
    state = progress.goal_progress(g)
    assert state.available is False and state.status == "unavailable"
    assert state.status_label in ("Not available yet", "暂不可用")


def test_after_the_period_a_goal_is_met_or_missed(test_metrics, lead_zhao):
    plan = services.create_plan(
        title="五月", kind="team", period="2026-05", by=lead_zhao, prefill_review=False
    )
    COUNTS[date(2026, 5, 3)] = 7.0
    g, _w = goal(plan, lead_zhao, metric="plan_test_count", target=7)
    assert progress.goal_progress(g).status == "met"
    g.target = 8
    assert progress.goal_progress(g).status == "missed"


def test_a_manual_measure_shows_the_value_entered_with_evidence(plan, lead_zhao):
    g, _w = goal(
        plan, lead_zhao, title="新员工考核通过率", target=95, baseline=88, direction="higher", unit="percent"
    )
    assert progress.goal_progress(g).status == "not_started"
    services.record_manual_value(g, value=91.5, evidence="六月考核表", by=lead_zhao)
    state = progress.goal_progress(g)
    assert state.value == 91.5
    assert state.progress == pytest.approx(50.0)  # 88 → 95, 91.5 is half-way
    assert state.status == "off_track"
    with pytest.raises(services.ValidationFailed):
        services.record_manual_value(g, value=92, evidence=" ", by=lead_zhao)


def test_plan_period_labels():
    from kefu.plans import periods

    q4 = periods.parse("2026-Q4")
    assert (q4.start, q4.end, q4.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert periods.previous(q4).label == "2026-Q3"
    assert periods.previous(periods.parse("2026-Q1")).label == "2025-Q4"
    assert periods.previous(periods.parse("2026-03")) == periods.month(2026, 2)
    assert periods.parse("2026").end == date(2026, 12, 31)
    custom = periods.parse(PERIOD)
    assert periods.previous(custom) == periods.Period(
        date(2026, 6, 1), date(2026, 6, 6), "2026-06-01..2026-06-06"
    )
    for bad in ("2026-Q5", "2026-13", "26", "2026-06-12..2026-06-01", ""):
        with pytest.raises(periods.BadPeriod):
            periods.parse(bad)


def test_a_goal_at_or_past_its_target_is_complete(plan, lead_zhao):
    g, _w = goal(
        plan, lead_zhao, title="二次投诉率", target=1.5, baseline=3, direction="lower", unit="percent"
    )
    services.record_manual_value(g, value=1.0, evidence="投诉台账", by=lead_zhao)
    assert progress.goal_progress(g).progress == 100.0
    services.record_manual_value(g, value=2.25, evidence="投诉台账", by=lead_zhao)
    assert progress.goal_progress(g).progress == pytest.approx(50.0)
    services.record_manual_value(g, value=3.5, evidence="投诉台账", by=lead_zhao)
    assert progress.goal_progress(g).progress == 0.0  # worse than the baseline: no progress, not negative
