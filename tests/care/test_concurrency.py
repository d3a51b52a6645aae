"""Periodic care jobs run twice at once create nothing twice (B5); two agents working one callback
at once record one outcome (D1). Real threads with their own connections: truly at once on
PostgreSQL, taking turns on SQLite's in-memory test database (see tests/routing/test_concurrency.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection

from kefu.care import callbacks, keycare, referrals, services
from kefu.care.errors import AlreadyWorked
from kefu.care.models import Callback, CareTask, KeyCustomer, Lead, ReferralReward
from kefu.core import events
from kefu.tickets import services as tickets
from kefu.tickets.models import Ticket, TicketType
from tests.clock import SHANGHAI
from tests.factories import CustomerFactory, UserFactory
from tests.routing.test_concurrency import _run_parallel

from .test_keycare import order

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db(transaction=True)]


def _solved(n):
    agent = UserFactory(username="solver", role="agent")
    made = []
    with events.muted():
        for i in range(n):
            customer = CustomerFactory(email=f"cb{i}@x.cn")
            ticket = tickets.open_ticket(
                customer=customer, subject=f"问题{i}", body="请处理", by=None, type=TicketType.COMPLAINT
            ).ticket
            tickets.update_ticket(ticket, by=agent, version=None, assignee=agent, status="solved")
            made.append(ticket)
    Ticket.objects.update(solved_at=datetime(2026, 5, 5, 12, tzinfo=SHANGHAI))
    return made, agent


@pytest.mark.fault("B5")
def test_callback_generation_twice_at_once(settings):
    settings.KEFU_CARE = {"callback_percent": 100}
    made, _agent = _solved(6)
    connection.close()
    errors = _run_parallel(lambda _i: callbacks.generate(period="2026-05"), [1, 2, 3])
    assert errors == []
    assert Callback.objects.count() == 6


@pytest.mark.fault("D1")
def test_two_agents_work_one_callback_at_once(settings):
    settings.KEFU_CARE = {"callback_percent": 100}
    _solved(1)
    callbacks.generate(period="2026-05")
    callback = Callback.objects.get()
    li = UserFactory(username="li", role="agent")
    wang = UserFactory(username="wang", role="agent")
    lost = []
    connection.close()

    def work(who):
        try:
            callbacks.work(callback, outcome="problem_persists" if who == li else "satisfied", by=who)
        except AlreadyWorked:
            lost.append(who)

    errors = _run_parallel(work, [li, wang])
    assert errors == [] and len(lost) == 1
    stored = Callback.objects.get()
    assert stored.worked_by not in lost
    # only the winner's "problem persists" may reopen the ticket
    reopened = Ticket.objects.get().status == "open"
    assert reopened == (stored.outcome == "problem_persists")


@pytest.mark.fault("B5")
def test_key_customer_generation_and_referrals_twice_at_once():
    buyers = [CustomerFactory(email=f"kb{i}@x.cn") for i in range(5)]
    for i, buyer in enumerate(buyers):
        order(buyer, 100 * (i + 1), when="2026-02-01 10:00")
    prospect = CustomerFactory(email="lead@x.cn")
    agent = UserFactory(username="seller", role="agent")
    with events.muted():
        ticket = tickets.open_ticket(customer=prospect, subject="咨询", body="想买", by=None).ticket
    Lead.objects.create(
        customer=prospect,
        ticket=ticket,
        source="web",
        agent=agent,
        created_at=datetime(2026, 6, 1, tzinfo=SHANGHAI),
    )
    order(prospect, 1000, when="2026-06-05 10:00")
    order(prospect, 200, when="2026-06-06 10:00")
    connection.close()
    errors = _run_parallel(
        lambda job: keycare.generate(period="2026-06") if job % 2 else referrals.sync(), [1, 2, 3, 4]
    )
    assert errors == []
    # 5 buyers in the 12 months before June (the prospect's orders are in June): 20 % is 1
    assert list(KeyCustomer.objects.values_list("customer_id", flat=True)) == [buyers[4].pk]
    assert CareTask.objects.count() == 1
    assert ReferralReward.objects.count() == 2
    assert ReferralReward.objects.filter(first=True).count() == 1
    assert services.sync_referrals() == 0
