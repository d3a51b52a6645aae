"""Daily rollups give the same figures as the metrics' own SQL, stay current incrementally, and are
safe to refresh from several nodes at once."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import OperationalError, connection

from kefu.analytics import rollups
from kefu.analytics.models import MetricDay, RollupState
from kefu.analytics.tasks import refresh_rollups
from kefu.core import metrics

from .conftest import at, event, make

# Their fixtures are dated around the suite's default instant (a Wednesday in June 2026); the
# run a year later (KEFU_TEST_NOW) would move "today" away from them.
pytestmark = pytest.mark.now("2026-06-10 10:00")

WINDOW = (date(2026, 2, 20), date(2026, 6, 10))


@contextmanager
def raw_only():
    """compute() without the rollup store: straight from each metric's SQL."""
    metrics.set_store(None)
    try:
        yield
    finally:
        metrics.set_store(rollups.store)


def points(key, **kw):
    return [
        (p.bucket, p.group, p.value, round(p.num, 6), round(p.den, 6))
        for p in metrics.compute(
            key, start=kw.pop("start", WINDOW[0]), end=kw.pop("end", WINDOW[1]), **kw
        ).points
    ]


def questions(metric):
    """Every cut and grain, and a one-value filter on each dimension (uncut and cut by it)."""
    for by in (None, *metric.dimensions):
        for grain in (None, "day", "week", "month", "quarter"):
            yield {"by": by, "grain": grain}
    return


def served_from_rollups(metric, **kw):
    win = metrics.window(WINDOW[0], WINDOW[1], filters=kw.get("filters"), metric=metric)
    return rollups.store(metric, win, kw.get("by")) is not None


def test_rollups_give_the_raw_numbers_for_every_registered_metric(test_metrics, history):
    result = rollups.refresh()
    assert result.ran and set(m.key for m in test_metrics) <= set(result.built)
    checked = 0
    for metric in metrics.all_metrics():
        asks = list(questions(metric))
        for dim in metric.dimensions:
            with raw_only():
                groups = {
                    p.group
                    for p in metrics.compute(metric.key, start=WINDOW[0], end=WINDOW[1], by=dim).points
                }
            for group in sorted(groups)[:3]:
                asks.append({"filters": {dim: [group]}, "grain": "month"})
                asks.append({"filters": {dim: [group]}, "by": dim, "grain": "week"})
        for ask in asks:
            assert served_from_rollups(metric, **ask), (metric.key, ask)
            stored = points(metric.key, **ask)
            with raw_only():
                raw = points(metric.key, **ask)
            assert stored == raw, (metric.key, ask)
            checked += 1
    assert checked > 50
    # The fixture is not empty: the comparisons compared something.
    assert metrics.total("t_created", start=WINDOW[0], end=WINDOW[1]) == 56
    assert 0 < metrics.total("t_reopen", start=WINDOW[0], end=WINDOW[1]) < 100


def test_a_late_event_recomputes_only_the_days_it_touches(test_metrics, history, fixed_clock):
    rollups.refresh()
    solved = next(t for t in history if t.solved_at and t.solved_at < at("2026-04-01 00:00"))
    solved_day = solved.solved_at.astimezone(metrics.local_zone()).date()
    untouched = MetricDay.objects.get(metric="t_created", dimension="", day=history[30].created_at.date())
    before = metrics.total("t_reopen", start=solved_day, end=solved_day)

    # Today an agent reopens a ticket solved in March: March's reopen rate changes.
    event(solved, "changed", at("2026-06-10 10:00"), field="status", new="open")
    result = rollups.refresh()
    assert result.ran
    created_day = solved.created_at.astimezone(metrics.local_zone()).date()
    # today, the reopen's day (today), the ticket's created and solved days — not the whole history
    assert result.updated["t_reopen"] <= 4
    assert MetricDay.objects.filter(pk=untouched.pk).exists()  # that day's rows were left alone
    after = metrics.total("t_reopen", start=solved_day, end=solved_day)
    with raw_only():
        assert metrics.total("t_reopen", start=solved_day, end=solved_day) == after
    assert after > (before or 0)
    assert {solved_day, created_day} <= set(
        MetricDay.objects.filter(metric="t_reopen", day__in=[solved_day, created_day]).values_list(
            "day", flat=True
        )
    ) | {created_day}
    # the stock was recomputed from the earliest touched day up to today
    assert result.updated["t_backlog"] >= (date(2026, 6, 10) - created_day).days


def test_an_event_with_an_old_timestamp_counts_on_its_own_day(test_metrics, history):
    rollups.refresh()
    customer = history[0].customer
    # An import writes a ticket created in April today: April's count goes up by one.
    make(customer, created=at("2026-04-15 11:00"), channel="phone")
    rollups.refresh()
    april = {"start": date(2026, 4, 1), "end": date(2026, 4, 30)}
    stored = metrics.total("t_created", **april)
    with raw_only():
        assert metrics.total("t_created", **april) == stored
    assert points("t_created", by="channel", grain="month") == _raw(
        lambda: points("t_created", by="channel", grain="month")
    )


def _raw(fn):
    with raw_only():
        return fn()


def test_a_new_day_and_a_changed_definition(test_metrics, history, fixed_clock):
    rollups.refresh()
    assert RollupState.objects.get(key="t_created").built_to == date(2026, 6, 10)
    fixed_clock.shift(timedelta(days=1))
    make(history[0].customer, created=at("2026-06-11 09:00"))
    result = rollups.refresh()
    assert RollupState.objects.get(key="t_created").built_to == date(2026, 6, 11)
    assert metrics.total("t_created", start=date(2026, 6, 11), end=date(2026, 6, 11)) == 1
    assert result.built == []

    # A metric whose definition changes is rebuilt whole; until then compute() reads raw SQL.
    changed = metrics.Metric(**{**metrics.get("t_created").__dict__, "formula": "tickets created (v2)"})
    metrics.register(changed)
    win = metrics.window(*WINDOW, metric=changed)
    assert rollups.store(changed, win, None) is None
    assert rollups.refresh().built == ["t_created"]
    assert rollups.store(changed, win, None) is not None


def test_questions_the_rollups_cannot_answer_go_to_raw_sql(test_metrics, history, agent_li):
    rollups.refresh()
    metric = metrics.get("t_created")
    crossed = metrics.window(*WINDOW, filters={"agent": [str(agent_li.pk)]}, metric=metric)
    assert rollups.store(metric, crossed, "channel") is None  # a filter crossed with another cut
    two = metrics.window(*WINDOW, filters={"channel": ["web", "email"]}, metric=metric)
    assert rollups.store(metric, two, None) is None
    assert rollups.store(metric, two, "channel") is not None
    # Before the first ticket a flow has no rows: served. A stock is built from the history limit
    # (120 days here) and a window before it goes to SQL.
    before = metrics.window(date(2025, 1, 1), WINDOW[1], metric=metric)
    assert rollups.store(metric, before, None) is not None
    assert points("t_created", start=date(2025, 1, 1), grain="month") == _raw(
        lambda: points("t_created", start=date(2025, 1, 1), grain="month")
    )
    backlog = metrics.get("t_backlog")
    assert rollups.store(backlog, metrics.window(date(2025, 1, 1), WINDOW[1], metric=backlog), None) is None
    # … and compute() still answers them, from SQL.
    series = metrics.compute(
        "t_created", start=WINDOW[0], end=WINDOW[1], by="channel", filters={"agent": [str(agent_li.pk)]}
    )
    assert sum(p.num for p in series.points) == sum(1 for t in history if t.assignee_id == agent_li.pk)


def test_a_second_refresh_changes_nothing(test_metrics, history):
    rollups.refresh()
    first = sorted(MetricDay.objects.values_list("metric", "dimension", "day", "group", "num", "den"))
    again = refresh_rollups.delay().get()  # the periodic task itself, run by Celery (eager in tests)
    assert again["ran"] is True
    assert again["updated"]["t_backlog"] == 0  # only today moved: the stock waits for STOCK_EVERY
    assert sorted(MetricDay.objects.values_list("metric", "dimension", "day", "group", "num", "den")) == first


def test_a_refresh_while_another_holds_the_lease_returns_at_once(test_metrics, history):
    token = rollups.claim_lease()
    assert token
    assert rollups.refresh().ran is False
    assert not MetricDay.objects.exists()
    rollups.release_lease(token)
    assert rollups.refresh().ran is True


@pytest.mark.django_db(transaction=True)
def test_refreshes_on_several_nodes_at_once_build_each_row_once(test_metrics, history):
    results = []

    def run():
        try:
            results.append(rollups.refresh().ran)
        except OperationalError as err:
            # SQLite's in-memory test database refuses a second writer outright ("table is locked")
            # where kefu's WAL file would queue it; a refresh refused there never ran, which is fine.
            if connection.vendor != "sqlite" or "locked" not in str(err):
                raise
            results.append(False)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if connection.vendor == "sqlite" and not any(results):
        # All three refused by SQLite's table lock: none left a lease behind, so the next one runs.
        results.append(rollups.refresh().ran)
    assert results.count(True) >= 1
    rows = list(MetricDay.objects.values_list("metric", "dimension", "day", "group"))
    assert len(rows) == len(set(rows))
    assert points("t_backlog", by="team", grain="month") == _raw(
        lambda: points("t_backlog", by="team", grain="month")
    )
    assert RollupState.objects.get(key=rollups.LEASE_KEY).lease_until is None
