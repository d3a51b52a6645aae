"""The nightly forecast started by three workers at once runs once (B5). Real threads with their own
connections: truly at once on PostgreSQL, taking turns on SQLite's in-memory test database."""

from __future__ import annotations

import pytest
from django.db import connection

from kefu.workforce import forecasting
from kefu.workforce.models import ForecastInterval, ForecastRun
from tests.routing.test_concurrency import _run_parallel

pytestmark = [pytest.mark.now("2026-06-10 00:30"), pytest.mark.django_db(transaction=True)]


@pytest.mark.fault("B5")
def test_three_workers_start_the_nightly_forecast_at_once():
    done = []
    connection.close()
    errors = _run_parallel(lambda _i: done.append(forecasting.run_nightly()), [1, 2, 3])
    assert errors == []
    assert len([r for r in done if r is not None]) == 1
    run = ForecastRun.objects.get()
    assert run.state == "done"
    # one set of half-hours, not three
    assert ForecastInterval.objects.filter(run=run, channel="phone").count() == run.days * 48
