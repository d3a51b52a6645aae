"""The routing REST API: rules, agents' workload and caps, predictions — access and bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import Role, Skill
from kefu.routing.models import AgentLoad, AgentStatus, AssignmentRule, KeywordRule
from kefu.routing.services import rules
from kefu.routing.services.assignment import today
from kefu.tickets.models import Channel
from tests.factories import UserFactory

KW = "/api/routing/keyword-rules"
AR = "/api/routing/assignment-rules"


@pytest.fixture
def as_lead(client, lead_zhao):
    client.force_login(lead_zhao)
    return client


@pytest.fixture
def invoice_rule(lead_zhao, warehouse):
    from kefu.accounts.models import Department

    Department.objects.get_or_create(name="财务")
    return rules.save_keyword_rule(by=lead_zhao, keywords="发票 开票", field="department", value="财务")


def test_a_supervisor_adds_changes_and_deletes_a_keyword_rule(as_lead, warehouse):
    created = as_lead.post(
        KW,
        {"keywords": ["12315", "投诉", "律师"], "field": "priority", "value": "high", "position": 5},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["keywords"] == ["12315", "投诉", "律师"] and body["value"] == "high"
    rule_id = body["id"]
    changed = as_lead.patch(
        f"{KW}/{rule_id}", {"field": "department", "value": "仓储"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["field"] == "department" and changed.json()["keywords"] == ["12315", "投诉", "律师"]
    assert as_lead.get(KW).json()[0]["id"] == rule_id
    assert as_lead.delete(f"{KW}/{rule_id}").status_code == 204
    assert not KeywordRule.objects.exists()
    assert as_lead.get(f"{KW}/{rule_id}").json() == {"code": "not_found", "message": "No such keyword rule."}


@pytest.mark.fault("A1")
def test_a_bad_keyword_rule_is_refused_with_code_message_and_field(as_lead):
    unknown_field = as_lead.post(
        KW, {"keywords": ["发票"], "field": "colour", "value": "red"}, content_type="application/json"
    )
    assert unknown_field.status_code == 422
    body = unknown_field.json()
    assert body["code"] == "rule_invalid" and body["field"] == "field" and "colour" in body["message"]
    unknown_value = as_lead.post(
        KW, {"keywords": ["发票"], "field": "department", "value": "月球部"}, content_type="application/json"
    )
    assert unknown_value.status_code == 422 and unknown_value.json()["field"] == "value"
    no_words = as_lead.post(
        KW, {"keywords": [], "field": "priority", "value": "high"}, content_type="application/json"
    )
    assert no_words.status_code == 422 and no_words.json()["field"] == "keywords"
    blank = as_lead.post(
        KW, {"keywords": ["  "], "field": "priority", "value": "high"}, content_type="application/json"
    )
    assert blank.status_code == 422 and blank.json()["field"] == "keywords"
    nul = as_lead.post(
        KW, {"keywords": ["a\x00b"], "field": "priority", "value": "high"}, content_type="application/json"
    )
    assert nul.status_code == 422
    broken = as_lead.post(KW, "{not json", content_type="application/json")
    assert broken.status_code in (400, 422) and "code" in broken.json()
    nulled = as_lead.post(
        KW, {"keywords": ["发票"], "field": "priority", "value": "high"}, content_type="application/json"
    )
    patch_null = as_lead.patch(
        f"{KW}/{nulled.json()['id']}", {"value": None}, content_type="application/json"
    )
    assert patch_null.status_code == 422 and patch_null.json()["field"] == "value"
    assert as_lead.patch(f"{KW}/99999999999999999999", {}, content_type="application/json").status_code == 404
    assert KeywordRule.objects.count() == 1


@pytest.mark.fault("A2")
def test_agents_read_but_do_not_edit_and_customers_see_nothing(client, agent_li, customer_x, invoice_rule):
    client.force_login(agent_li)
    assert [r["value"] for r in client.get(KW).json()] == ["财务"]
    assert client.get(AR).status_code == 200
    assert client.get("/api/routing/agents").status_code == 200
    denied = client.post(
        KW, {"keywords": ["x"], "field": "priority", "value": "high"}, content_type="application/json"
    )
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    assert (
        client.patch(
            f"{KW}/{invoice_rule.pk}", {"value": "仓储"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.delete(f"{KW}/{invoice_rule.pk}").status_code == 403
    assert (
        client.patch(
            f"/api/routing/agents/{agent_li.pk}", {"daily_cap": 500}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(customer_x.user)
    for url in (KW, AR, "/api/routing/agents"):
        assert client.get(url).status_code == 404
    assert (
        client.post("/api/routing/predict", {"text": "发票"}, content_type="application/json").status_code
        == 404
    )
    client.logout()
    assert client.get(KW).status_code == 401


def test_assignment_rules_by_name_with_their_reasons(as_lead, team_aftersales):
    Skill.objects.create(name="英语")
    created = as_lead.post(
        AR,
        {
            "name": "VIP 英文邮件",
            "position": 10,
            "conditions": {"channel": "email", "tier": "vip"},
            "team": "售后服务",
            "skill": "英语",
            "senior_only": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["conditions"] == {
        "channel": "email",
        "type": "",
        "priority": "",
        "tier": "vip",
        "keyword": "",
    }
    assert (body["team"], body["skill"], body["senior_only"]) == ("售后服务", "英语", True)
    changed = as_lead.patch(
        f"{AR}/{body['id']}",
        {"conditions": {"priority": "urgent"}, "skill": None},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert (
        changed.json()["conditions"]["channel"] == "email"
        and changed.json()["conditions"]["priority"] == "urgent"
    )
    assert changed.json()["skill"] is None

    bad_channel = as_lead.post(
        AR,
        {"name": "x", "conditions": {"channel": "fax"}, "team": "售后服务"},
        content_type="application/json",
    )
    assert bad_channel.status_code == 422 and bad_channel.json()["field"] == "channel"
    no_team = as_lead.post(AR, {"name": "x", "team": "不存在"}, content_type="application/json")
    assert no_team.status_code == 422 and no_team.json()["field"] == "team"
    no_effect = as_lead.post(AR, {"name": "x"}, content_type="application/json")
    assert no_effect.status_code == 422 and no_effect.json()["code"] == "rule_invalid"
    extra_condition = as_lead.post(
        AR,
        {"name": "x", "team": "售后服务", "conditions": {"colour": "red"}},
        content_type="application/json",
    )
    assert extra_condition.status_code == 422
    assert extra_condition.json()["field"] == "conditions.colour"
    assert not AssignmentRule.objects.filter(name="x").exists()
    assert as_lead.delete(f"{AR}/{body['id']}").status_code == 204
    assert as_lead.delete(f"{AR}/{body['id']}").status_code == 404


def test_agents_workload_and_caps(as_lead, agent_li, agent_wang, customer_x, make_ticket, team_aftersales):
    from kefu.tickets import services as tickets

    for channel in (Channel.CHAT, Channel.EMAIL):
        ticket = make_ticket(customer_x, channel=channel)
        tickets.assign(ticket, to=agent_li, by=agent_li, version=ticket.version)
    AgentLoad.objects.create(agent=agent_li, day=today(), assigned=2)
    AgentStatus.objects.create(agent=agent_wang, presence="away", daily_cap=30)
    rows = {r["username"]: r for r in as_lead.get("/api/routing/agents").json()}
    with CaptureQueriesContext(connection) as few:
        as_lead.get("/api/routing/agents")
    for i in range(4):
        UserFactory(username=f"agent_{i}", role=Role.AGENT, teams=[team_aftersales])
    with CaptureQueriesContext(connection) as many:
        assert len(as_lead.get("/api/routing/agents").json()) == len(rows) + 4
    assert len(many) == len(few)  # no query per agent
    li, wang = rows["agent_li"], rows["agent_wang"]
    assert (li["assigned_today"], li["open_tickets"], li["open_chats"]) == (2, 2, 1)
    assert (li["daily_cap"], li["chat_cap"], li["own_caps"], li["presence"]) == (50, 5, False, "online")
    assert (wang["daily_cap"], wang["own_caps"], wang["presence"]) == (30, True, "away")

    changed = as_lead.patch(
        f"/api/routing/agents/{agent_li.pk}",
        {"daily_cap": 40, "chat_cap": 3},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert (changed.json()["daily_cap"], changed.json()["chat_cap"], changed.json()["presence"]) == (
        40,
        3,
        "online",
    )
    back = as_lead.patch(
        f"/api/routing/agents/{agent_li.pk}", {"daily_cap": None}, content_type="application/json"
    )
    assert (back.json()["daily_cap"], back.json()["chat_cap"]) == (50, 3)
    bad = as_lead.patch(
        f"/api/routing/agents/{agent_li.pk}", {"daily_cap": 0}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "daily_cap"
    bad = as_lead.patch(
        f"/api/routing/agents/{agent_li.pk}", {"presence": "asleep"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "presence"
    bad = as_lead.patch(
        f"/api/routing/agents/{agent_li.pk}", {"working_days": "89"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "working_days"
    assert (
        as_lead.patch(
            f"/api/routing/agents/{customer_x.user.pk}", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_predict_answers_from_rules_and_says_what_is_untrained(client, agent_li, invoice_rule):
    client.force_login(agent_li)
    response = client.post("/api/routing/predict", {"text": "请帮我开发票"}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["predictions"] == [
        {
            "field": "department",
            "value": "财务",
            "label": "财务",
            "probability": 1.0,
            "source": "rule",
            "applied": True,
            "model_version": None,
        }
    ]
    assert set(body["untrained"]) == {"type", "category", "team", "department", "priority"}

    asked = client.post(
        "/api/routing/predict",
        {"text": "请帮我开发票", "fields": ["department"]},
        content_type="application/json",
    )
    assert asked.status_code == 200 and asked.json()["predictions"][0]["value"] == "财务"
    untrained = client.post(
        "/api/routing/predict", {"text": "快递丢了", "fields": ["team"]}, content_type="application/json"
    )
    assert untrained.status_code == 404
    assert untrained.json()["code"] == "untrained_field" and untrained.json()["field"] == "fields"
    assert "kefu triage train --field team" in untrained.json()["message"]
    unknown = client.post(
        "/api/routing/predict", {"text": "x", "fields": ["colour"]}, content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "fields"
    for bad in ({"text": ""}, {"text": "   "}, {}, {"text": "x" * 20_001}, {"text": 5}):
        answer = client.post("/api/routing/predict", bad, content_type="application/json")
        assert answer.status_code == 422, bad
        assert answer.json()["code"] in ("invalid", "rule_invalid")


def test_predict_uses_a_trained_model(client, agent_li, train_csv):
    from kefu.routing.services import training

    dataset = training.read_file(train_csv())
    training.train(field="department", texts=dataset.texts, labels=dataset.labels, source="test", folds=3)
    client.force_login(agent_li)
    response = client.post(
        "/api/routing/predict",
        {"text": "发票抬头开错了", "fields": ["department"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    [prediction] = response.json()["predictions"]
    assert prediction["source"] == "model" and prediction["value"] == "财务"
    assert 0 < prediction["probability"] <= 1 and prediction["model_version"] == 1
