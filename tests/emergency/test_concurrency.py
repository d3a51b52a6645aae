"""Several workers run the watcher in the same minute (FAULTS B5): one incident, each contact told
once, each mail sent once. Real threads with their own connections: truly at once on PostgreSQL,
taking turns on SQLite's in-memory test database (see tests/routing/test_concurrency.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from kefu.accounts.models import Notification
from kefu.emergency import services
from kefu.emergency.models import Activation, IncidentTicket, TimelineEntry, WatchRun
from tests.routing.test_concurrency import _run_parallel

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def firing(make_plan, ticket_at, t0, agent_li, lead_zhao):
    plan = make_plan(
        min_count=3, contact_ids=[agent_li.pk, lead_zhao.pk], contact_emails=["oncall@example.cn"]
    )
    for m in (1, 2, 3, 4, 5):
        ticket_at(t0, m)
    return plan


@pytest.mark.fault("B5")
def test_three_workers_in_the_same_minute_open_one_incident(firing, t0, agent_li, lead_zhao):
    connection.close()
    errors = _run_parallel(lambda _i: services.watch(at=t0 + timedelta(seconds=_i)), [1, 2, 3])
    assert errors == []
    assert Activation.objects.count() == 1
    assert WatchRun.objects.count() == 1
    assert IncidentTicket.objects.count() == 5
    assert Notification.objects.filter(kind="emergency", user=agent_li).count() == 1
    assert Notification.objects.filter(kind="emergency", user=lead_zhao).count() == 1
    assert len(mail.outbox) == 1
    assert TimelineEntry.objects.filter(kind="fired").count() == 1


@pytest.mark.fault("B5")
def test_a_clock_jump_that_replays_minutes_still_opens_one_incident(firing, t0):
    """Different minute slots (a node whose clock is behind) race on the plan itself."""
    connection.close()
    errors = _run_parallel(lambda i: services.watch_plan(firing, at=t0 + timedelta(minutes=i)), [0, 1, 2])
    assert errors == []
    assert Activation.objects.filter(status="open").count() == 1
    assert len(mail.outbox) == 1
    assert IncidentTicket.objects.count() == 5
