"""The metric registry adds daily rows up the way every dashboard, report and plan will read them."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.core import metrics
from kefu.core.metrics import Metric, MetricError, Row

DAYS = [
    Row(date(2026, 9, 30), "email", 3, 4),
    Row(date(2026, 10, 1), "email", 1, 1),
    Row(date(2026, 10, 1), "web", 0, 5),
    Row(date(2026, 10, 8), "email", 2, 2),
]


def _rows(win, by):
    for row in DAYS:
        if win.start <= row.day <= win.end and (
            not win.filters.get("channel") or row.group in win.filters["channel"]
        ):
            yield row if by else Row(row.day, "", row.num, row.den)


def _metric(key="test_rate", aggregate="ratio", unit="percent"):
    return Metric(
        key=key,
        name="rate",
        description="",
        unit=unit,
        direction="higher",
        aggregate=aggregate,
        formula="num / den",
        rows=_rows,
        dimensions=("channel",),
    )


@pytest.fixture
def registered():
    made = [_metric(), _metric("test_count", "count", "count"), _metric("test_stock", "stock", "count")]
    for m in made:
        metrics.register(m)
    store = metrics._store  # analytics' rollups read the database; these questions are the metric's own rows
    metrics.set_store(None)
    yield
    metrics.set_store(store)
    for m in made:
        metrics._metrics.pop(m.key, None)


def test_a_rate_is_the_sum_of_numerators_over_the_sum_of_denominators(registered):
    # (3 + 1 + 0 + 2) / (4 + 1 + 5 + 2) = 6 / 12, not the mean of the daily rates
    assert metrics.total("test_rate", start=date(2026, 9, 1), end=date(2026, 10, 31)) == 50.0
    by_month = metrics.compute("test_rate", start=date(2026, 9, 1), end=date(2026, 10, 31), grain="month")
    assert [(p.bucket, p.value) for p in by_month.points] == [
        (date(2026, 9, 1), 75.0),
        (date(2026, 10, 1), 37.5),
    ]


def test_weeks_start_on_monday_and_groups_stay_apart(registered):
    series = metrics.compute(
        "test_count", start=date(2026, 9, 28), end=date(2026, 10, 11), grain="week", by="channel"
    )
    assert [(p.bucket, p.group, p.value) for p in series.points] == [
        (date(2026, 9, 28), "email", 4),
        (date(2026, 9, 28), "web", 0),
        (date(2026, 10, 5), "email", 2),
    ]


def test_a_stock_takes_the_last_day_of_each_bucket(registered):
    series = metrics.compute("test_stock", start=date(2026, 9, 1), end=date(2026, 10, 31), grain="quarter")
    assert [(p.bucket, p.value) for p in series.points] == [(date(2026, 7, 1), 3), (date(2026, 10, 1), 2)]


def test_filters_narrow_the_rows(registered):
    assert (
        metrics.total(
            "test_count", start=date(2026, 10, 1), end=date(2026, 10, 31), filters={"channel": ["web"]}
        )
        == 0
    )
    assert (
        metrics.total("test_rate", start=date(2026, 12, 1), end=date(2026, 12, 31)) is None
    )  # nothing to divide


def test_bad_questions_name_what_is_allowed(registered):
    with pytest.raises(MetricError) as unknown:
        metrics.compute("no_such_metric", start=date(2026, 1, 1), end=date(2026, 1, 2))
    assert unknown.value.code == "unknown_metric" and "test_rate" in unknown.value.allowed
    with pytest.raises(MetricError) as dim:
        metrics.compute("test_rate", start=date(2026, 1, 1), end=date(2026, 1, 2), by="agent")
    assert dim.value.allowed == ["channel"]
    with pytest.raises(MetricError, match="after its end"):
        metrics.compute("test_rate", start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(MetricError, match="five years"):
        metrics.compute("test_rate", start=date(1976, 1, 1), end=date(2026, 1, 1))
    with pytest.raises(MetricError) as grain:
        metrics.compute("test_rate", start=date(2026, 1, 1), end=date(2026, 1, 2), grain="fortnight")
    assert grain.value.code == "unknown_grain"


def test_a_store_serves_rows_when_it_has_them(registered):
    seen = []

    def store(metric, win, by):
        seen.append(metric.key)
        return [Row(win.start, "", 9, 10)] if metric.key == "test_rate" else None

    metrics.set_store(store)
    try:
        assert metrics.total("test_rate", start=date(2026, 10, 1), end=date(2026, 10, 31)) == 90.0
        assert metrics.total("test_count", start=date(2026, 10, 1), end=date(2026, 10, 31)) == 3  # fell back
    finally:
        metrics.set_store(None)  # the fixture puts the installed store back
    assert seen == ["test_rate", "test_count"]
