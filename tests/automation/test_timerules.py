"""Time rules: pending 3 days → reminder, 7 days → solved; unassigned 10 minutes → tell the lead.
Each (rule, ticket, occurrence) acts once, however often and on however many workers the sweep runs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from kefu.accounts.models import Notification
from kefu.automation import schedule, services, tasks, timerules
from kefu.automation.actions import BOT_USERNAME
from kefu.automation.errors import RuleInvalid
from kefu.automation.models import TimeRuleRun
from kefu.core.clock import now
from kefu.tickets import services as tickets
from kefu.tickets.models import EventKind, MessageKind, Ticket, TicketEvent

DAY = 24 * 60


def _rules(by):
    services.save_time_rule(
        by=by,
        name="待客户回复 3 天提醒",
        kind="pending_for",
        minutes=3 * DAY,
        actions=[
            {"type": "reply", "body": "{{ customer_name }} 您好，工单 {{ ticket_number }} 还在等您的回复。"}
        ],
    )
    services.save_time_rule(
        by=by,
        name="待客户回复 7 天解决",
        kind="pending_for",
        minutes=7 * DAY,
        actions=[{"type": "set_status", "value": "solved"}],
    )


def _age_status(ticket, status, days):
    TicketEvent.objects.filter(ticket=ticket, field="status", new_value=status).update(
        created_at=now() - timedelta(days=days)
    )


def _bot_replies(ticket):
    return ticket.messages.filter(author__username=BOT_USERNAME, kind=MessageKind.PUBLIC)


def test_pending_three_days_reminds_once_and_seven_days_solves(lead_zhao, agent_li, customer_x, make_ticket):
    _rules(lead_zhao)
    ticket = make_ticket(customer_x)
    tickets.change_status(ticket, to="pending", by=agent_li)
    _age_status(ticket, "pending", 1)
    assert timerules.sweep() == 0
    _age_status(ticket, "pending", 4)
    assert timerules.sweep() == 1
    assert timerules.sweep() == 0  # the same occurrence never acts twice
    assert _bot_replies(ticket).count() == 1
    assert f"工单 {ticket.number} 还在等您的回复" in _bot_replies(ticket).get().body_text
    _age_status(ticket, "pending", 8)
    timerules.sweep()
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert _bot_replies(ticket).count() == 1


def test_a_new_pending_episode_acts_again(lead_zhao, agent_li, customer_x, make_ticket):
    _rules(lead_zhao)
    ticket = make_ticket(customer_x)
    tickets.change_status(ticket, to="pending", by=agent_li)
    _age_status(ticket, "pending", 4)
    timerules.sweep()
    tickets.reply(ticket, body="我还在等", by=customer_x.user)  # back to open
    ticket.refresh_from_db()
    tickets.change_status(ticket, to="pending", by=agent_li)
    last = (
        TicketEvent.objects.filter(ticket=ticket, field="status", new_value="pending").order_by("-pk").first()
    )
    TicketEvent.objects.filter(pk=last.pk).update(created_at=now() - timedelta(days=4))
    timerules.sweep()
    assert _bot_replies(ticket).count() == 2


def test_unassigned_ten_minutes_notifies_the_team_lead(
    lead_zhao, agent_li, customer_x, make_ticket, team_aftersales
):
    team_aftersales.lead = lead_zhao
    team_aftersales.save()
    services.save_time_rule(
        by=lead_zhao,
        name="10 分钟未分配",
        kind="unassigned_for",
        minutes=10,
        actions=[{"type": "notify", "to": "team_lead", "text": "10 分钟未分配"}],
    )
    fresh = make_ticket(customer_x, team=team_aftersales)
    old = make_ticket(customer_x, subject="旧单", team=team_aftersales)
    Ticket.objects.filter(pk=old.pk).update(created_at=now() - timedelta(minutes=11))
    taken = make_ticket(customer_x, subject="已分配", team=team_aftersales)
    Ticket.objects.filter(pk=taken.pk).update(created_at=now() - timedelta(minutes=30))
    tickets.assign(taken, to=agent_li, by=lead_zhao)
    timerules.sweep()
    timerules.sweep()
    notes = list(Notification.objects.filter(user=lead_zhao))
    assert [n.text for n in notes] == [f"{old.number} 10 分钟未分配"]
    assert fresh.number not in notes[0].text


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_three_workers_sweeping_at_once_act_once(lead_zhao, agent_li, customer_x, make_ticket):
    _rules(lead_zhao)
    made = [make_ticket(customer_x, subject=f"单 {i}") for i in range(3)]
    for ticket in made:
        tickets.change_status(Ticket.objects.get(pk=ticket.pk), to="pending", by=agent_li)
        _age_status(ticket, "pending", 4)
    concurrent = connection.vendor != "sqlite"  # SQLite's in-memory test db refuses parallel writers
    barrier = threading.Barrier(3 if concurrent else 1)
    turn = None if concurrent else threading.Lock()
    errors = []

    def worker():
        if turn:
            turn.acquire()
        try:
            barrier.wait()
            tasks.run_time_rules()
        except Exception as err:  # pragma: no cover - shown in the assertion
            errors.append(err)
        finally:
            connection.close()
            if turn:
                turn.release()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for ticket in made:
        assert _bot_replies(ticket).count() == 1
    assert TimeRuleRun.objects.count() == 3


def test_time_rules_are_validated_and_scheduled(lead_zhao):
    with pytest.raises(RuleInvalid) as err:
        services.save_time_rule(
            by=lead_zhao,
            name="x",
            kind="sometimes",
            minutes=5,
            actions=[{"type": "set_priority", "value": "high"}],
        )
    assert err.value.field == "kind"
    with pytest.raises(RuleInvalid) as err:
        services.save_time_rule(
            by=lead_zhao,
            name="x",
            kind="pending_for",
            minutes=5,
            conditions=[{"field": "customer.secret", "op": "eq", "value": "1"}],
            actions=[{"type": "set_priority", "value": "high"}],
        )
    assert err.value.field == "conditions[0].field"
    tasks_named = {entry["task"] for entry in schedule.BEAT_SCHEDULE.values()}
    assert "kefu.automation.tasks.run_time_rules" in tasks_named


def test_conditions_narrow_a_time_rule(lead_zhao, agent_li, customer_x, customer_y, make_ticket):
    services.save_time_rule(
        by=lead_zhao,
        name="只对高优先级",
        kind="pending_for",
        minutes=60,
        conditions=[{"field": "ticket.priority", "op": "eq", "value": "high"}],
        actions=[{"type": "add_note", "body": "高优先级待回复超过 1 小时"}],
    )
    high = make_ticket(customer_x, subject="高")
    low = make_ticket(customer_y, subject="低")
    tickets.update_ticket(high, by=agent_li, version=None, priority="high", status="pending")
    tickets.change_status(low, to="pending", by=agent_li)
    for ticket in (high, low):
        _age_status(ticket, "pending", 1)
    timerules.sweep()
    assert high.messages.filter(kind=MessageKind.INTERNAL).count() == 1
    assert low.messages.filter(kind=MessageKind.INTERNAL).count() == 0
    assert EventKind.NOTED in set(TicketEvent.objects.filter(ticket=high).values_list("kind", flat=True))


def test_a_sweep_pages_through_everything_and_skips_what_is_done_in_sql(
    lead_zhao, agent_li, customer_x, make_ticket, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(timerules, "BATCH", 2)
    services.save_time_rule(
        by=lead_zhao,
        name="挂起提醒",
        kind="pending_for",
        minutes=60,
        actions=[{"type": "add_tags", "value": ["久等"]}],
    )
    made = [make_ticket(customer_x, subject=f"单 {i}") for i in range(5)]
    for ticket in made:
        tickets.change_status(ticket, to="pending", by=agent_li)
        _age_status(ticket, "pending", 1)
    assert timerules.sweep() == 5  # more than one page
    with django_assert_max_num_queries(4):  # nothing new: one empty page, however many were done
        assert timerules.sweep() == 0
