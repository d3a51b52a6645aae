"""The emergency API: supervisors create and change plans (bad triggers: 422 naming the field),
agents read, customers and department members find nothing; activate, drill, resolve."""

from __future__ import annotations

import pytest

from kefu.emergency.models import Activation, EmergencyPlan
from kefu.tickets.models import Message
from tests.api.conftest import Api

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db]

PLAN = {
    "name": "工单激增",
    "trigger": "volume",
    "multiplier": 3,
    "min_count": 20,
    "steps": ["确认原因", "增派人手"],
    "broadcast_text": "您好，工单 {{ ticket_number }} 已收到。",
}


@pytest.fixture
def api():
    return Api()


def test_supervisor_creates_and_updates_a_plan(api, lead_zhao, agent_li):
    made = api.post(lead_zhao, "/emergency/plans", {**PLAN, "contact_ids": [agent_li.pk]})
    assert made.status_code == 200, made.content
    body = made.json()
    assert (
        body["status"] == "quiet" and body["contact_ids"] == [agent_li.pk] and body["steps"] == PLAN["steps"]
    )
    changed = api.patch(lead_zhao, f"/emergency/plans/{body['id']}", {"multiplier": 4.5, "active": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["multiplier"] == 4.5 and changed.json()["active"] is False
    assert changed.json()["steps"] == PLAN["steps"] and changed.json()["contact_ids"] == [agent_li.pk]
    listed = api.get(agent_li, "/emergency/plans")
    assert listed.status_code == 200 and [p["name"] for p in listed.json()] == ["工单激增"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"multiplier": 1}, "multiplier"),
        ({"window_minutes": 0}, "window_minutes"),
        ({"window_minutes": 20000}, "window_minutes"),
        ({"trigger": "sla_breach", "percent": 150}, "percent"),
        ({"trigger": "keyword", "keyword": ""}, "keyword"),
        ({"trigger": "silence", "channel": "fax"}, "channel"),
    ],
)
def test_impossible_trigger_answers_422(api, lead_zhao, change, field):
    bad = api.post(lead_zhao, "/emergency/plans", {**PLAN, **change})
    assert bad.status_code == 422, bad.content
    assert bad.json()["code"] == "bad_plan" and bad.json()["field"] == field and bad.json()["message"]
    assert not EmergencyPlan.objects.exists()


def test_a_bad_update_changes_nothing(api, lead_zhao):
    plan_id = api.post(lead_zhao, "/emergency/plans", PLAN).json()["id"]
    bad = api.patch(lead_zhao, f"/emergency/plans/{plan_id}", {"multiplier": 0.9})
    assert bad.status_code == 422 and bad.json()["field"] == "multiplier"
    assert EmergencyPlan.objects.get().multiplier == 3


def test_agents_customers_and_departments_cannot_edit(api, lead_zhao, agent_li, customer_x, dept_chen):
    plan_id = api.post(lead_zhao, "/emergency/plans", PLAN).json()["id"]
    assert api.post(agent_li, "/emergency/plans", PLAN).status_code == 403
    assert api.patch(agent_li, f"/emergency/plans/{plan_id}", {"active": False}).status_code == 403
    assert api.post(agent_li, f"/emergency/plans/{plan_id}/activate", {}).status_code == 403
    for outsider in (customer_x.user, dept_chen):
        assert api.get(outsider, "/emergency/plans").status_code == 404
        assert api.get(outsider, f"/emergency/plans/{plan_id}").status_code == 404
        assert api.patch(outsider, f"/emergency/plans/{plan_id}", {"active": False}).status_code == 404
        assert api.post(outsider, f"/emergency/plans/{plan_id}/drill", {}).status_code == 404
    assert EmergencyPlan.objects.get().active is True
    assert not Activation.objects.exists()


def test_activate_drill_resolve(api, lead_zhao, agent_li):
    plan_id = api.post(lead_zhao, "/emergency/plans", PLAN).json()["id"]
    drill = api.post(lead_zhao, f"/emergency/plans/{plan_id}/drill", {"note": "季度演练"})
    assert drill.status_code == 200, drill.content
    assert drill.json()["is_drill"] is True and drill.json()["timeline"][0]["kind"] == "started"
    refused = api.post(lead_zhao, f"/emergency/activations/{drill.json()['id']}/broadcast")
    assert refused.status_code == 409 and refused.json()["code"] == "drill_no_replies"
    assert not Message.objects.filter(author=lead_zhao).exists()
    real = api.post(lead_zhao, f"/emergency/plans/{plan_id}/activate", {})
    assert real.status_code == 200 and real.json()["source"] == "manual"
    again = api.post(lead_zhao, f"/emergency/plans/{plan_id}/activate", {})
    assert again.status_code == 409 and again.json()["code"] == "already_open"
    ticked = api.post(lead_zhao, f"/emergency/activations/{real.json()['id']}/steps/1")
    assert ticked.status_code == 200 and ticked.json() == {"ticked": True}
    assert api.post(lead_zhao, f"/emergency/activations/{real.json()['id']}/steps/9").status_code == 422
    assert [p["status"] for p in api.get(agent_li, "/emergency/plans").json()] == ["firing"]
    done = api.post(lead_zhao, f"/emergency/activations/{real.json()['id']}/resolve", {})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert done.json()["steps_done"] == [1]
    listed = api.get(agent_li, f"/emergency/activations?plan_id={plan_id}")
    assert [(a["source"], a["status"]) for a in listed.json()] == [("manual", "resolved"), ("drill", "open")]
    assert api.get(agent_li, "/emergency/activations/999999").status_code == 404
    assert api.get(agent_li, f"/emergency/activations?plan_id={10**30}").json() == []


def test_contact_ids_beyond_any_row_are_refused_not_a_500(api, lead_zhao):
    bad = api.post(lead_zhao, "/emergency/plans", {**PLAN, "contact_ids": [10**30]})
    assert bad.status_code == 422 and bad.json()["field"] == "contact_ids"


def test_plans_list_query_count(api, lead_zhao, agent_li, django_assert_max_num_queries):
    for n in range(5):
        api.post(lead_zhao, "/emergency/plans", {**PLAN, "name": f"预案{n}", "contact_ids": [agent_li.pk]})
    api.get(agent_li, "/emergency/plans")  # warm the token
    with django_assert_max_num_queries(8):
        assert len(api.get(agent_li, "/emergency/plans").json()) == 5
