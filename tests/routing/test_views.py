"""The supervisor page at /agent/routing/ and its nav link."""

from __future__ import annotations

import re

from kefu.routing.models import AgentStatus, KeywordRule
from kefu.routing.services import training


def test_supervisor_sees_rules_models_and_availability(client, lead_zhao, agent_li):
    training.train(
        field="type",
        texts=["投诉", "我要投诉", "请问", "请问一下"],
        labels=["complaint", "complaint", "consultation", "consultation"],
        source="t",
        folds=2,
    )
    client.force_login(lead_zhao)
    page = client.get("/agent/routing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="model-row"' in html and 'data-testid="per-class"' in html
    assert 'data-testid="agent-agent_li"' in html
    assert 'href="/agent/routing/"' in html  # the nav link
    # codes are shown as the words agents use: the field, the source and each class
    zh = client.get("/agent/routing/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>类型</td>" in zh and "工单历史" not in zh  # source "t" is shown as typed
    assert "<td>投诉</td>" in zh and "<td>complaint</td>" not in zh


def test_agents_do_not_get_the_page(client, agent_li):
    client.force_login(agent_li)
    assert client.get("/agent/routing/").status_code == 404
    assert (
        client.post(
            "/agent/routing/keyword-rules/", {"keywords": "x", "field": "type", "value": "complaint"}
        ).status_code
        == 404
    )
    assert not KeywordRule.objects.exists()


def test_invalid_rule_is_refused_with_the_reason_shown(client, lead_zhao):
    client.force_login(lead_zhao)
    response = client.post(
        "/agent/routing/keyword-rules/",
        {"keywords": "发票", "field": "category", "value": "不存在"},
        follow=True,
    )
    assert "There is no category named 不存在" in response.content.decode()
    assert not KeywordRule.objects.exists()
    client.post("/agent/routing/keyword-rules/", {"keywords": "投诉", "field": "type", "value": "complaint"})
    assert KeywordRule.objects.get().value == "complaint"


def test_supervisor_sets_availability_and_retrains(client, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    client.post(f"/agent/routing/agents/{agent_li.pk}/availability/", {"presence": "away", "days": "135"})
    status = AgentStatus.objects.get(agent=agent_li)
    assert (status.presence, status.working_days) == ("away", "135")
    response = client.post("/agent/routing/retrain/", {"field": "type"}, follow=True)
    assert "Not enough confirmed tickets" in response.content.decode()


def test_demo_config_is_idempotent(admin_user, team_aftersales, team_tech):
    from kefu.routing import demo
    from kefu.routing.models import AssignmentRule

    demo.load_config()
    demo.load_config()
    assert KeywordRule.objects.filter(field="type", value="complaint").count() == 1
    assert AssignmentRule.objects.filter(name="投诉 → 资深客服").count() == 1


def test_nav_link_only_for_supervisors(client, agent_li):
    client.force_login(agent_li)
    page = client.get("/agent/")
    assert 'href="/agent/routing/"' not in page.content.decode()


def test_an_agent_switches_their_own_presence_from_the_top_bar(client, agent_li, customer_x, route):
    client.force_login(agent_li)
    page = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="my-presence"' in page and '<option value="online" selected>在线</option>' in page
    response = client.post(
        "/agent/routing/me/presence/", {"presence": "offline", "next": "/agent/?view=mine"}
    )
    assert response.status_code == 302 and response["Location"] == "/agent/?view=mine"
    assert AgentStatus.objects.get(agent=agent_li).presence == "offline"
    page = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<option value="offline" selected>离线</option>' in page
    # offline: the router passes over this agent (the only one in the team)
    ticket = route(customer_x, "订单还没发货", "我上周下的订单还没有发货。", team=agent_li.teams.first())
    assert ticket.assignee is None


def test_presence_switch_keeps_the_supervisors_caps_and_refuses_bad_input(client, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    client.post(
        f"/agent/routing/agents/{agent_li.pk}/availability/",
        {"presence": "online", "days": "12345", "daily_cap": "30", "chat_cap": "3"},
    )
    client.force_login(agent_li)
    response = client.post(
        "/agent/routing/me/presence/", {"presence": "away", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/agent/"  # no open redirect
    status = AgentStatus.objects.get(agent=agent_li)
    assert (status.presence, status.working_days, status.daily_cap, status.chat_cap) == (
        "away",
        "12345",
        30,
        3,
    )
    response = client.post("/agent/routing/me/presence/", {"presence": "asleep"}, follow=True)
    assert "Unknown presence" in response.content.decode()
    assert AgentStatus.objects.get(agent=agent_li).presence == "away"


def test_customers_have_no_presence_switch(client, customer_x):
    client.force_login(customer_x.user)
    assert 'data-testid="my-presence"' not in client.get("/portal/").content.decode()
    assert client.post("/agent/routing/me/presence/", {"presence": "online"}).status_code == 404


def test_working_days_are_seven_day_checkboxes_posting_the_same_value(client, lead_zhao, agent_li):
    """Issue 14 item 4: 一 … 日 boxes instead of a raw "1234567" field; none ticked = the calendar."""
    client.force_login(lead_zhao)
    url = f"/agent/routing/agents/{agent_li.pk}/availability/"
    client.post(url, {"presence": "online", "days": ["1", "3", "5"]})
    assert AgentStatus.objects.get(agent=agent_li).working_days == "135"
    html = client.get("/agent/routing/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    form = html.split('data-testid="agent-agent_li"', 1)[1].split("</form>", 1)[0]
    boxes = re.findall(r'<input type="checkbox" name="days" value="(\d)"[^>]*?( checked)?>', form)
    assert [(day, bool(checked)) for day, checked in boxes] == [
        ("1", True), ("2", False), ("3", True), ("4", False), ("5", True), ("6", False), ("7", False)
    ]  # fmt: skip
    labels = re.findall(r'<span class="form-selectgroup-label">(.)</span>', form)
    assert labels == list("一二三四五六日")
    assert 'name="days" maxlength' not in form and "1234567" not in form
    assert "仅勾选的星期上班" in form
    client.post(url, {"presence": "online"})  # nothing ticked: back to the business calendar
    assert AgentStatus.objects.get(agent=agent_li).working_days == ""
    html = client.get("/agent/routing/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    form = html.split('data-testid="agent-agent_li"', 1)[1].split("</form>", 1)[0]
    assert " checked" not in form and "按所在团队的工作日历" in form
