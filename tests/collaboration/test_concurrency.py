"""Several workers run the sync and escalation jobs in the same minute: one digest, one
escalation (FAULTS B5). Real threads with their own connections (tests/routing/test_concurrency.py):
truly at once on PostgreSQL, taking turns on SQLite's in-memory test database."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection

from kefu.accounts.models import Role
from kefu.collaboration import services, syncs
from kefu.collaboration.models import Sync, SyncItem, Task, TaskEvent, TaskKind
from kefu.core import events
from kefu.tickets import services as tickets
from tests.clock import SHANGHAI
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.routing.test_concurrency import _run_parallel

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db(transaction=True)]


def _setup():
    dept = DepartmentFactory(name="仓储")
    member = UserFactory(username="chen", role=Role.DEPARTMENT)
    member.department = dept
    member.save()
    lead = UserFactory(username="zhao", role=Role.SUPERVISOR)
    agent = UserFactory(username="li", role=Role.AGENT)
    syncs.configure(dept, weekdays="12345", day_start=time(9), day_end=time(18))
    kind = TaskKind.objects.create(department=dept, name="验货", target_minutes=60)
    with events.muted():
        customer = CustomerFactory(email="c@x.cn")
        ticket = tickets.open_ticket(customer=customer, subject="退货", body="请处理", by=None).ticket
        task = services.request_task(ticket, department=dept, kind=kind, description="验货", by=agent)
    Task.objects.filter(pk=task.pk).update(due_at=datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI))
    return task, lead


@pytest.mark.fault("B5")
def test_three_workers_at_the_same_minute_make_one_digest_and_one_escalation():
    task, _lead = _setup()
    slot = datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI)
    connection.close()

    def job(i):
        at = slot + timedelta(seconds=10 * i)
        syncs.run_due_syncs(at=at)
        services.escalate_overdue(at=at)

    assert _run_parallel(job, [1, 2, 3]) == []
    assert Sync.objects.count() == 1
    assert SyncItem.objects.filter(task=task).count() == 1
    assert TaskEvent.objects.filter(task=task, kind="escalated").count() == 1
    assert len([m for m in mail.outbox if "仓储" in m.subject]) == 2  # one digest + one escalation
