"""The sweep warns before a breach and escalates on it — once, however many workers sweep (FAULTS B5)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from kefu.accounts.models import Notification, Role
from kefu.sla import tasks
from kefu.sla.models import Metric, SlaTimer, TimerState
from kefu.sla.services import TargetSpec, save_policy
from kefu.sla.sweep import sweep
from kefu.tickets import services as tickets
from kefu.tickets.models import Priority, TicketEvent
from tests.factories import UserFactory


@pytest.fixture
def escalating(db):
    return save_policy(
        by=None,
        name="升级",
        warn_percent=75,
        raise_priority_on_breach=True,
        reassign_on_breach=True,
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 3600, business_time=False)],
    )


@pytest.fixture
def senior(team_aftersales):
    return UserFactory(
        username="senior_liu", display_name="刘资深", role=Role.SENIOR_AGENT, teams=[team_aftersales]
    )


def first_response(ticket):
    return SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)


def test_warning_then_breach_with_the_policy_actions(
    escalating, opened, run, agent_li, lead_zhao, senior, team_aftersales
):
    ticket = opened(team_id=team_aftersales.pk)
    run(tickets.assign, ticket, to=agent_li, by=lead_zhao)
    timer = first_response(ticket)
    # Before the warning: nothing to do.
    assert sweep(at=timer.started_at + timedelta(minutes=30)).warned == 0
    # 75 % of an hour: the assignee is warned, once.
    result = sweep(at=timer.started_at + timedelta(minutes=46))
    assert (result.warned, result.breached) == (1, 0)
    assert sweep(at=timer.started_at + timedelta(minutes=47)).warned == 0
    assert Notification.objects.filter(user=agent_li, kind="sla_warning").count() == 1
    # Due: breached, the supervisor told, priority raised, a senior agent takes over.
    result = run(sweep, at=timer.started_at + timedelta(minutes=61))
    assert (result.warned, result.breached) == (0, 1)
    timer.refresh_from_db()
    assert timer.state == TimerState.BREACHED and timer.breached_at == timer.due_at
    assert Notification.objects.filter(user=lead_zhao, kind="sla_breach").count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH and ticket.assignee == senior
    changed = TicketEvent.objects.filter(ticket=ticket, field="priority").get()
    assert changed.actor.username == "kefu-bot"
    # Again: nothing more happens.
    assert sweep(at=timer.started_at + timedelta(minutes=70)).breached == 0
    assert Notification.objects.filter(kind="sla_breach").count() == 1


def test_a_breached_timer_records_when_it_was_finally_met(escalating, opened, run, agent_li):
    ticket = opened()
    timer = first_response(ticket)
    sweep(at=timer.started_at + timedelta(hours=2))
    run(tickets.reply, ticket, body="抱歉久等了", by=agent_li)
    timer.refresh_from_db()
    assert timer.state == TimerState.BREACHED and timer.met_at is not None


def test_paused_and_met_timers_are_not_swept(escalating, opened, run, agent_li):
    ticket = opened()
    run(tickets.change_status, ticket, to="pending", by=agent_li)
    assert sweep(at=first_response(ticket).started_at + timedelta(days=3)).breached == 0
    assert first_response(ticket).state == TimerState.PAUSED


def test_the_sweep_reads_only_timers_that_are_due(escalating, opened, django_assert_max_num_queries):
    for i in range(5):
        opened(subject=f"订单 {i}")
    later = SlaTimer.objects.order_by("started_at").first().started_at + timedelta(minutes=10)
    with django_assert_max_num_queries(1):
        assert sweep(at=later).warned == 0  # one indexed read finds nothing to do


def test_the_celery_task_runs_the_sweep(escalating, opened):
    ticket = opened()
    SlaTimer.objects.filter(ticket=ticket).update(check_at=first_response(ticket).started_at)
    assert tasks.sweep.delay().get() == {"warned": 1, "breached": 0}


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_three_workers_sweeping_at_once_escalate_once(escalating, make_ticket, customer_x, lead_zhao, senior):
    """FAULTS B5: three workers start the sweep in the same minute (threads, real DB connections)."""
    ticket = make_ticket(customer_x)
    from kefu.sla.timers import start_for_ticket

    start_for_ticket(ticket, at=ticket.created_at)
    due = first_response(ticket).due_at
    barrier = threading.Barrier(3)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(sweep(at=due + timedelta(seconds=5)))
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(r.breached for r in results) == 1
    assert Notification.objects.filter(kind="sla_breach").count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, field="priority").count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").count() == 1
