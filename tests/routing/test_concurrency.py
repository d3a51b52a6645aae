"""FAULTS D1 for assignment: workers assigning at once never exceed a cap and never double-assign.

Real threads, each with its own database connection. On PostgreSQL they run truly at once. SQLite's
in-memory test database (shared cache) refuses concurrent writers outright instead of queueing them
as kefu's WAL file database does, so there the threads take turns (as in tests/api/test_idempotency.py).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kefu.core import events
from kefu.intake.services import InboundMessage, receive
from kefu.routing.models import AgentLoad, AssignmentLog
from kefu.routing.services import rules
from kefu.routing.services.assignment import auto_assign
from kefu.tickets.models import Ticket, TicketEvent
from tests.factories import CustomerFactory, TeamFactory, UserFactory


def _run_parallel(fn, args_list):
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(len(args_list) if concurrent else 1)
    turn = threading.Lock() if not concurrent else None
    errors = []

    def work(arg):
        if turn:
            turn.acquire()
        try:
            barrier.wait(timeout=10)
            fn(arg)
        except Exception as err:  # collected: the test asserts none happened
            errors.append(err)
        finally:
            connections.close_all()
            if turn:
                turn.release()

    threads = [threading.Thread(target=work, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def _tickets(n, team):
    made = []
    with events.muted():  # created unassigned; the workers below do the assigning
        for i in range(n):
            customer = CustomerFactory(email=f"cc{i}@x.cn")
            made.append(
                receive(
                    InboundMessage(
                        channel="web",
                        external_id=f"cc-{i}",
                        from_email=customer.email,
                        subject=f"问题{i}",
                        body_text="请帮忙",
                        team_id=team.pk,
                    ),
                    by=None,
                ).ticket
            )
    return made


def _assign(ticket_id):
    auto_assign(Ticket.objects.get(pk=ticket_id))


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_exceed_the_daily_cap():
    team = TeamFactory(name="售后服务")
    lead = UserFactory(username="lead", role="supervisor")
    agent = UserFactory(username="solo", role="agent", teams=[team])
    rules.update_settings(by=lead, daily_cap=3)
    made = _tickets(8, team)
    connection.close()
    errors = _run_parallel(_assign, [t.pk for t in made])
    assert errors == []
    assigned = Ticket.objects.filter(assignee=agent).count()
    assert assigned == 3
    assert AgentLoad.objects.get(agent=agent).assigned == 3
    assert TicketEvent.objects.filter(kind="assigned").count() == 3
    assert AssignmentLog.objects.filter(reason="unassigned").count() == 5


@pytest.mark.fault("B5", "D1")
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_on_one_ticket_assign_it_once():
    team = TeamFactory(name="售后服务")
    UserFactory(username="a1", role="agent", teams=[team])
    UserFactory(username="a2", role="agent", teams=[team])
    [ticket] = _tickets(1, team)
    connection.close()
    errors = _run_parallel(_assign, [ticket.pk] * 6)
    assert errors == []
    ticket.refresh_from_db()
    assert ticket.assignee is not None
    assert TicketEvent.objects.filter(kind="assigned", ticket=ticket).count() == 1
    assert sum(AgentLoad.objects.values_list("assigned", flat=True)) == 1  # losers gave their slot back
