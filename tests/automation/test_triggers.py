"""Triggers: conditions on ticket/customer fields → actions; validated at save; loops cut and logged."""

from __future__ import annotations

import logging

import pytest

from kefu.accounts.models import Notification
from kefu.automation import engine, services
from kefu.automation.actions import BOT_USERNAME
from kefu.automation.errors import RuleInvalid
from kefu.automation.models import RunStatus, Trigger, TriggerRun
from kefu.customers.models import Tier
from kefu.tickets import services as tickets
from kefu.tickets.models import EventKind, MessageKind, TicketEvent

COMPLAINT = {
    "name": "投诉升级",
    "event": "created",
    "conditions": [{"field": "ticket.subject", "op": "contains_any", "value": ["投诉", "12315"]}],
    "actions": [{"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["投诉"]}],
}


def test_a_complaint_gets_high_priority_and_a_tag(lead_zhao, customer_x, ticket_for):
    services.save_trigger(by=lead_zhao, **COMPLAINT)
    ticket = ticket_for(customer_x, subject="我要投诉你们的快递")
    assert ticket.priority == "high"
    assert list(ticket.tags.values_list("name", flat=True)) == ["投诉"]
    changed = TicketEvent.objects.get(ticket=ticket, field="priority")
    assert changed.actor.username == BOT_USERNAME
    calm = ticket_for(customer_x, subject="订单什么时候发货")
    assert calm.priority == "normal" and not calm.tags.exists()


def test_a_vip_customer_is_tagged_and_the_team_lead_notified(
    lead_zhao, agent_li, customer_x, ticket_for, team_aftersales
):
    team_aftersales.lead = agent_li
    team_aftersales.save()
    customer_x.tier = Tier.VIP
    customer_x.save()
    services.save_trigger(
        by=lead_zhao,
        name="VIP",
        event="created",
        conditions=[{"field": "customer.tier", "op": "in", "value": ["vip", "premium_vip"]}],
        actions=[
            {"type": "set_team", "value": "售后服务"},
            {"type": "add_tags", "value": ["VIP"]},
            {"type": "notify", "to": "team_lead", "text": "VIP 客户 {{ customer_name }} 来信"},
        ],
    )
    ticket = ticket_for(customer_x)
    assert ticket.team == team_aftersales
    assert list(ticket.tags.values_list("name", flat=True)) == ["VIP"]
    note = Notification.objects.get(user=agent_li)
    assert note.text == f"{ticket.number} VIP 客户 张小明 来信"


def test_a_templated_public_reply_and_an_internal_note(lead_zhao, customer_x, ticket_for):
    services.save_trigger(
        by=lead_zhao,
        name="自动回执",
        event="created",
        conditions=[{"field": "ticket.channel", "op": "eq", "value": "web"}],
        actions=[
            {"type": "reply", "body": "{{ customer_name }} 您好，工单 {{ ticket_number }} 已受理。"},
            {"type": "add_note", "body": "已自动回执"},
        ],
    )
    ticket = ticket_for(customer_x)
    bot_messages = ticket.messages.filter(author__username=BOT_USERNAME)
    public = bot_messages.get(kind=MessageKind.PUBLIC)
    assert public.body_text == f"张小明 您好，工单 {ticket.number} 已受理。"
    assert bot_messages.get(kind=MessageKind.INTERNAL).body_text == "已自动回执"
    ticket.refresh_from_db()  # an automated receipt is no first response and makes nobody the owner
    assert ticket.first_response_at is None and ticket.first_contact_owner is None
    assert ticket.status == "new"


def test_customer_reply_trigger_reads_the_message_text(
    lead_zhao, agent_li, customer_x, ticket_for, on_commit
):
    services.save_trigger(
        by=lead_zhao,
        name="催单",
        event="customer_replied",
        conditions=[{"field": "ticket.body", "op": "contains", "value": "还没"}],
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    ticket = ticket_for(customer_x, subject="发货")
    assert ticket.priority == "normal"
    with on_commit():
        tickets.reply(ticket, body="怎么还没发货？", by=customer_x.user)
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


# --------------------------------------------------------------------------- bad rules, refused at save


@pytest.mark.parametrize(
    ("conditions", "field", "words"),
    [
        ([{"field": "ticket.password", "op": "eq", "value": "x"}], "conditions[0].field", "ticket.password"),
        ([{"field": "ticket.subject", "op": "regex", "value": ".*"}], "conditions[0].op", "regex"),
        ([{"field": "ticket.priority", "op": "contains", "value": "hi"}], "conditions[0].op", "contains"),
        ([{"field": "ticket.priority", "op": "eq", "value": "extreme"}], "conditions[0].value", "extreme"),
        ([{"field": "ticket.subject", "op": "contains"}], "conditions[0].value", ""),
        (
            [{"field": "ticket.subject", "op": "contains", "value": "x", "sql": "1"}],
            "conditions[0].sql",
            "sql",
        ),
        ("ticket.subject contains x", "conditions", ""),
    ],
)
def test_an_invalid_condition_is_refused_at_save_with_the_reason(lead_zhao, conditions, field, words):
    with pytest.raises(RuleInvalid) as err:
        services.save_trigger(
            by=lead_zhao, name="坏规则", event="created", conditions=conditions, actions=COMPLAINT["actions"]
        )
    assert err.value.field == field
    assert words in err.value.message
    assert err.value.status == 422
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([{"type": "drop_table"}], "actions[0].type"),
        ([{"type": "set_team", "value": "不存在的团队"}], "actions[0].value"),
        ([{"type": "assign", "value": "customer_x"}], "actions[0].value"),
        ([{"type": "reply", "body": "{{ secret }}"}], "actions[0].body"),
        ([{"type": "notify", "to": "everyone", "text": "hi"}], "actions[0].to"),
        ([], "actions"),
    ],
)
def test_an_invalid_action_is_refused_at_save(lead_zhao, customer_x, actions, field):
    with pytest.raises(RuleInvalid) as err:
        services.save_trigger(by=lead_zhao, name="坏动作", event="created", conditions=[], actions=actions)
    assert err.value.field == field


def test_the_ui_shows_the_reason_for_a_bad_rule(client, lead_zhao):
    client.force_login(lead_zhao)
    response = client.post(
        "/agent/automation/trigger/new/",
        {
            "name": "坏规则",
            "event": "created",
            "match": "all",
            "c_field": ["ticket.nope"],
            "c_op": ["eq"],
            "c_value": ["x"],
            "a_type": ["set_priority"],
            "a_value": ["high"],
            "a_text": [""],
        },
    )
    assert response.status_code == 422
    assert "Unknown field ticket.nope." in response.content.decode()
    broken = client.post(
        "/agent/automation/trigger/new/",
        {"name": "x", "event": "created", "a_type": ["explode"], "a_value": [""], "a_text": [""]},
    )
    assert broken.status_code == 422
    assert "Unknown action explode." in broken.content.decode()
    assert not Trigger.objects.exists()


def test_agents_cannot_save_triggers(agent_li):
    with pytest.raises(Exception) as err:
        services.save_trigger(by=agent_li, **COMPLAINT)
    assert err.value.status == 403


# --------------------------------------------------------------------------- once per event, loop guard


def test_a_trigger_fires_once_per_event(lead_zhao, customer_x, make_ticket):
    services.save_trigger(
        by=lead_zhao,
        name="备注",
        event="created",
        conditions=[],
        actions=[{"type": "add_note", "body": "看一下"}],
    )
    ticket = make_ticket(customer_x)  # no on_commit: run the handler by hand, twice
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)
    engine.on_event(created.pk)
    engine.on_event(created.pk)
    assert ticket.messages.filter(kind=MessageKind.INTERNAL).count() == 1
    assert TriggerRun.objects.filter(status=RunStatus.FIRED).count() == 1


def test_a_trigger_loop_is_cut_and_logged(lead_zhao, customer_x, ticket_for, caplog):
    # Two triggers that undo each other: high → urgent → high → … forever without the guard.
    services.save_trigger(
        by=lead_zhao,
        name="升到紧急",
        event="changed",
        conditions=[
            {"field": "event.field", "op": "eq", "value": "priority"},
            {"field": "ticket.priority", "op": "eq", "value": "high"},
        ],
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    services.save_trigger(
        by=lead_zhao,
        name="降回高",
        event="changed",
        conditions=[
            {"field": "event.field", "op": "eq", "value": "priority"},
            {"field": "ticket.priority", "op": "eq", "value": "urgent"},
        ],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    services.save_trigger(by=lead_zhao, **COMPLAINT)
    with caplog.at_level(logging.WARNING, logger="kefu.automation"):
        ticket = ticket_for(customer_x, subject="投诉：包裹破损")
    cuts = list(TriggerRun.objects.filter(status=RunStatus.CUT))
    assert cuts and {c.trigger.name for c in cuts} == {"升到紧急"}
    assert all("loop" in c.reason for c in cuts)
    assert "cut" in caplog.text
    changes = TicketEvent.objects.filter(ticket=ticket, field="priority").count()
    assert changes == 3  # normal→high (投诉), high→urgent, urgent→high, then cut
    assert ticket.priority == "high"


def test_a_long_chain_is_cut_after_the_limit(lead_zhao, customer_x, ticket_for, settings):
    settings.KEFU_AUTOMATION_MAX_CHAIN = 2
    services.save_trigger(
        by=lead_zhao,
        name="1",
        event="created",
        conditions=[],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    services.save_trigger(
        by=lead_zhao,
        name="2",
        event="changed",
        conditions=[{"field": "event.field", "op": "eq", "value": "priority"}],
        actions=[{"type": "set_type", "value": "complaint"}],
    )
    services.save_trigger(
        by=lead_zhao,
        name="3",
        event="changed",
        conditions=[{"field": "event.field", "op": "eq", "value": "type"}],
        actions=[{"type": "add_tags", "value": ["链"]}],
    )
    ticket = ticket_for(customer_x)
    assert ticket.priority == "high" and ticket.type == "complaint"
    assert not ticket.tags.exists()
    cut = TriggerRun.objects.get(status=RunStatus.CUT)
    assert cut.trigger.name == "3" and cut.depth == 2
    assert "limit 2" in cut.reason


def test_a_failing_action_is_recorded_and_changes_nothing(lead_zhao, customer_x, ticket_for):
    services.save_trigger(
        by=lead_zhao,
        name="关掉",
        event="created",
        conditions=[],
        actions=[{"type": "set_priority", "value": "low"}, {"type": "set_status", "value": "closed"}],
    )
    services.save_trigger(
        by=lead_zhao,
        name="重开已关闭",
        event="changed",
        conditions=[{"field": "event.new_value", "op": "eq", "value": "closed"}],
        actions=[{"type": "set_status", "value": "pending"}],  # closed → pending is not allowed
    )
    ticket = ticket_for(customer_x)
    assert ticket.status == "closed"
    failed = TriggerRun.objects.get(status=RunStatus.FAILED)
    assert failed.trigger.name == "重开已关闭" and failed.reason


@pytest.mark.fault("D1")
def test_a_concurrent_edit_between_read_and_write_makes_the_trigger_retry(
    lead_zhao, customer_x, make_ticket, monkeypatch
):
    from django.db.models import F

    from kefu.automation import actions
    from kefu.tickets.models import Ticket

    services.save_trigger(by=lead_zhao, **COMPLAINT)
    ticket = make_ticket(customer_x, subject="投诉：发错货")
    real = actions.tickets.update_ticket
    calls = []

    def racing(target, **kw):
        if not calls:  # someone saves the ticket right after the trigger read it (version moves on)
            Ticket.objects.filter(pk=target.pk).update(version=F("version") + 1)
        calls.append(kw)
        return real(target, **kw)

    monkeypatch.setattr(actions.tickets, "update_ticket", racing)
    engine.on_event(TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED).pk)
    ticket.refresh_from_db()
    assert len(calls) == 2
    assert ticket.priority == "high"  # the second attempt re-read the ticket and won
    assert TriggerRun.objects.get().status == RunStatus.FIRED


@pytest.mark.fault("E1")
def test_an_auto_responder_ping_pong_gets_one_automated_reply(
    lead_zhao, customer_x, ticket_for, on_commit, caplog
):
    services.save_trigger(
        by=lead_zhao,
        name="客户回复即回执",
        event="customer_replied",
        conditions=[],
        actions=[{"type": "reply", "body": "已收到您的消息，{{ agent_name }} 会尽快处理。"}],
    )
    ticket = ticket_for(customer_x)
    for _ in range(3):  # the customer's out-of-office answers each of our mails
        with on_commit():
            tickets.reply(ticket, body="I am out of the office.", by=customer_x.user)
    assert ticket.messages.filter(author__username=BOT_USERNAME, kind=MessageKind.PUBLIC).count() == 1
    assert "skipped" in caplog.text
