from __future__ import annotations

import pytest

from kefu.sla.models import Metric
from kefu.sla.services import TargetSpec, save_policy


@pytest.fixture
def clock_policy(db):
    """Every ticket: calendar-time targets, so the tests do not depend on the hour they run at."""
    return save_policy(
        by=None,
        name="测试：日历时间",
        position=50,
        warn_percent=80,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, 3600, business_time=False),
            TargetSpec(Metric.NEXT_RESPONSE, 1800, business_time=False),
            TargetSpec(Metric.RESOLUTION, 10 * 3600, business_time=False),
        ],
    )


@pytest.fixture
def opened(make_ticket, customer_x, django_capture_on_commit_callbacks):
    """Open a ticket and run the after-commit handlers (the SLA handler among them)."""

    def make(**kw):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = make_ticket(customer_x, **kw)
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and run the handlers of the events it wrote."""

    def call(fn, *args, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kw)

    return call
