from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.core import events
from kefu.core.clock import now
from kefu.emergency import services
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Ticket


@pytest.fixture
def t0():
    """The test's minute (the watcher reads whole minutes)."""
    return now().replace(second=0, microsecond=0)


@pytest.fixture
def ticket_at(customer_x):
    """A ticket opened through the ticket services, then dated `minutes_ago` before `at`."""

    def make(
        at,
        minutes_ago,
        *,
        subject="订单咨询",
        body="请帮忙看一下我的订单。",
        channel=Channel.WEB,
        customer=None,
    ):
        with events.muted():
            ticket = tickets.open_ticket(
                customer=customer or customer_x, subject=subject, body=body, by=None, channel=channel
            ).ticket
        created = at - timedelta(minutes=minutes_ago)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture
def make_plan(lead_zhao):
    def make(**kw):
        kw.setdefault("name", "工单激增")
        kw.setdefault("trigger", "volume")
        kw.setdefault("min_count", 3)
        return services.save_plan(services.PlanData(**kw), by=lead_zhao)

    return make


def week(n: int) -> timedelta:
    return timedelta(weeks=n)
