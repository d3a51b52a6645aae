"""Supervisors edit triggers, time rules and macros as rows of selects; the rule is stored as JSON."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from kefu.automation import services
from kefu.automation.models import Macro, TimeRule, Trigger

NO_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


def row_errors(html: str) -> list[str]:
    return re.findall(r'data-testid="row-error" role="alert">([^<]*)<', html)


def trigger_form(**rows):
    data = {"name": "投诉加急", "event": "created", "match": "all", "position": "10", "active": "1"}
    data.update(rows)
    return data


def test_a_supervisor_saves_a_trigger_from_rows(client, lead_zhao):
    client.force_login(lead_zhao)
    form = trigger_form(
        c_field=["ticket.subject", "customer.tier", ""],
        c_op=["contains", "in", "contains"],
        c_value=["投诉", "vip，premium_vip", ""],  # a full-width comma separates too; the last row is empty
        a_type=["set_priority", "add_tags", "notify", ""],
        a_value=["high", "投诉, 加急", "supervisors", ""],
        a_text=["", "", "新投诉 {{ ticket_number }}", ""],
    )
    response = client.post(reverse("automation:rule_new", args=["trigger"]), form)
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.conditions == [
        {"field": "ticket.subject", "op": "contains", "value": "投诉"},
        {"field": "customer.tier", "op": "in", "value": ["vip", "premium_vip"]},
    ]
    assert trigger.actions == [
        {"type": "set_priority", "value": "high"},
        {"type": "add_tags", "value": ["加急", "投诉"]},
        {"type": "notify", "to": "supervisors", "text": "新投诉 {{ ticket_number }}"},
    ]

    page = client.get(reverse("automation:rule_edit", args=["trigger", trigger.pk])).content.decode()
    assert '<option value="customer.tier" data-ops="eq ne in not_in" data-list="dl-tier" selected>' in page
    assert 'value="vip, premium_vip"' in page
    assert "新投诉 {{ ticket_number }}</textarea>" in page
    assert 'data-testid="stored-json"' in page  # the stored form stays visible for reference
    assert "/static/automation/rules.js" in page and not NO_INLINE_SCRIPT.search(page)


def test_an_operator_the_field_does_not_take_is_refused_next_to_its_row(client, lead_zhao):
    client.force_login(lead_zhao)
    form = trigger_form(
        c_field=["ticket.subject", "", "ticket.priority"],
        c_op=["contains", "contains", "contains"],  # priority is a choice: eq, ne, in, not_in
        c_value=["退款", "", "high"],
        a_type=["add_tags"],
        a_value=["退款"],
        a_text=[""],
    )
    response = client.post(reverse("automation:rule_new", args=["trigger"]), form)
    assert response.status_code == 422
    html = response.content.decode()
    assert row_errors(html) == [
        "Operator contains is not allowed for ticket.priority. Allowed: eq, ne, in, not_in"
    ]
    # the reason sits in the third posted row (the empty second row is kept as it was)
    rows = html.split('data-kefu-row role="group"')
    bad = [i for i, part in enumerate(rows) if 'data-testid="row-with-error"' in part.split(">", 1)[0]]
    assert bad == [3]
    assert 'class="form-select is-invalid" aria-label="Operator"' in rows[3]
    assert 'value="退款"' in html  # what was typed is not lost
    assert Trigger.objects.count() == 0


def test_a_value_outside_the_choices_and_an_unknown_team_are_refused_with_the_reason(client, lead_zhao):
    client.force_login(lead_zhao)
    bad_value = trigger_form(
        c_field=["ticket.priority"],
        c_op=["eq"],
        c_value=["超级急"],
        a_type=["add_tags"],
        a_value=["x"],
        a_text=[""],
    )
    html = client.post(reverse("automation:rule_new", args=["trigger"]), bad_value).content.decode()
    assert row_errors(html) == ["超级急 is not one of: low, normal, high, urgent"]
    with translation.override("zh-hans"):
        response = client.post(
            reverse("automation:rule_new", args=["trigger"]), bad_value, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    error = row_errors(response.content.decode())[0]
    assert "超级急" in error and "urgent (紧急)" in error  # the values with what the screen calls them
    bad_team = trigger_form(a_type=["set_team"], a_value=["不存在的组"], a_text=[""])
    response = client.post(reverse("automation:rule_new", args=["trigger"]), bad_team)
    assert response.status_code == 422
    assert row_errors(response.content.decode()) == ["No team named 不存在的组."]
    unknown_field = trigger_form(
        c_field=["ticket.secret"], c_op=["eq"], c_value=["1"], a_type=["add_tags"], a_value=["x"], a_text=[""]
    )
    html = client.post(reverse("automation:rule_new", args=["trigger"]), unknown_field).content.decode()
    assert row_errors(html)[0].startswith("Unknown field ticket.secret.")
    assert Trigger.objects.count() == 0


def test_a_rule_without_actions_is_refused_at_the_top(client, lead_zhao):
    client.force_login(lead_zhao)
    response = client.post(
        reverse("automation:rule_new", args=["trigger"]), trigger_form(a_type=[""], a_value=[""], a_text=[""])
    )
    assert response.status_code == 422
    assert "Add at least one action." in response.content.decode()


def test_time_rules_and_macros_use_the_same_rows(client, lead_zhao):
    client.force_login(lead_zhao)
    response = client.post(
        reverse("automation:rule_new", args=["time_rule"]),
        {
            "name": "待客户回复 3 天提醒",
            "rule_kind": "pending_for",
            "minutes": "4320",
            "active": "1",
            "c_field": ["ticket.channel"],
            "c_op": ["eq"],
            "c_value": ["email"],
            "a_type": ["reply"],
            "a_value": [""],
            "a_text": ["{{ customer_name }}，您好：请问问题解决了吗？"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = TimeRule.objects.get()
    assert rule.actions == [{"type": "reply", "body": "{{ customer_name }}，您好：请问问题解决了吗？"}]
    assert rule.conditions == [{"field": "ticket.channel", "op": "eq", "value": "email"}]

    response = client.post(
        reverse("automation:rule_new", args=["macro"]),
        {
            "name": "请提供订单号",
            "shared": "1",
            "active": "1",
            "a_type": ["add_note", "set_status"],
            "a_value": ["", "pending"],
            "a_text": ["已请客户提供订单号", ""],
        },
    )
    assert response.status_code == 302
    assert Macro.objects.get().actions == [
        {"type": "add_note", "body": "已请客户提供订单号"},
        {"type": "set_status", "value": "pending"},
    ]
    page = client.get(reverse("automation:rule_new", args=["macro"])).content.decode()
    assert 'name="c_field"' not in page  # macros have no conditions
    assert '<option value="notify"' not in page  # nor the actions macros may not use


def test_the_editor_speaks_chinese(client, lead_zhao):
    services.save_trigger(
        by=lead_zhao,
        name="投诉",
        event="created",
        conditions=[{"field": "ticket.subject", "op": "contains", "value": "投诉"}],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    client.force_login(lead_zhao)
    with translation.override("zh-hans"):
        page = client.get(
            reverse("automation:rule_new", args=["trigger"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    assert "添加条件" in page and "添加动作" in page and "包含" in page


def test_agents_cannot_open_the_trigger_editor(client, agent_li):
    client.force_login(agent_li)
    response = client.post(reverse("automation:rule_new", args=["trigger"]), trigger_form())
    assert response.status_code == 403
    assert Trigger.objects.count() == 0


def test_values_typed_as_the_screen_shows_them_are_stored_as_values(client, lead_zhao):
    client.force_login(lead_zhao)
    form = trigger_form(
        c_field=["ticket.priority", "customer.tier"],
        c_op=["eq", "in"],
        c_value=["紧急", "VIP，Premium VIP"],  # the Chinese label, and the English ones
        a_type=["set_priority"],
        a_value=["高"],
        a_text=[""],
    )
    assert client.post(reverse("automation:rule_new", args=["trigger"]), form).status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.conditions[0]["value"] == "urgent"
    assert trigger.conditions[1]["value"] == ["vip", "premium_vip"]
    assert trigger.actions == [{"type": "set_priority", "value": "high"}]
