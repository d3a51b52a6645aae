"""The supervisor overview's figures (analytics.selectors.overview): each headline figure over the
period is what `metrics.total` answers, before and after the rollups are built."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.analytics import rollups, selectors
from kefu.core import metrics

START, END = date(2026, 3, 1), date(2026, 6, 10)


def _close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and a == pytest.approx(b))


def test_each_headline_figure_is_the_total_over_the_period(history):
    for built in (False, True):
        if built:
            rollups.refresh()
        found = selectors.overview(START, END)
        assert list(found.headline()) == list(selectors.HEADLINE)
        registered = {m.key for m in metrics.all_metrics()}
        for key, fig in found.figures.items():
            assert fig.available == (key in registered)
            if fig.available:
                assert _close(fig.value, metrics.total(key, start=START, end=END)), (key, built)
                assert {p.bucket for p in fig.series.points} <= {date(2026, m, 1) for m in range(3, 7)}
    assert found.figures["tickets_created"].value == len(history)
    by_channel = found.cuts[("tickets_created", "channel")]
    assert sum(p.num for p in by_channel.points) == len(history)
