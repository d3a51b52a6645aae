"""/api/plans: the same access rules as the pages, the plan as the CLI prints it, typed errors."""

from __future__ import annotations

import pytest

from kefu.plans import services
from kefu.plans.models import Plan, ScopeKind
from tests.api.conftest import Api


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


def test_a_supervisor_creates_reads_and_activates(api, history, lead_zhao):
    made = api.post(lead_zhao, "/plans/", {"template": "process-optimisation", "period": "2026-06"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "draft" and body["period"] == "2026-06"
    assert any(f["metric"] == "tickets_created" and f["figure"] == "3" for f in body["review"])
    assert {g["metric"] for g in body["goals"]} == {
        "repeat_dispatch_rate",
        "handling_minutes",
        "first_response_minutes",
        "reopen_rate",
        "sla_compliance",
    }
    read = api.get(lead_zhao, f"/plans/{body['id']}")
    assert read.status_code == 200 and read.json()["goals"] == body["goals"]
    moved = api.post(lead_zhao, f"/plans/{body['id']}/state", {"to": "active"})
    assert moved.status_code == 200 and moved.json()["state"] == "active"
    again = api.post(lead_zhao, f"/plans/{body['id']}/state", {"to": "draft"})
    assert again.status_code == 409 and again.json()["code"] == "bad_transition"


def test_bad_input_answers_with_typed_errors(api, history, lead_zhao):
    bad = api.post(lead_zhao, "/plans/", {"template": "after-sales-quarterly", "period": "2026-Q5"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_period"
    unknown = api.post(lead_zhao, "/plans/", {"template": "nope", "period": "2026-Q3"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_template"
    empty = services.create_plan(
        title="空计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    refused = api.post(lead_zhao, f"/plans/{empty.pk}/state", {"to": "active"})
    assert refused.status_code == 422 and refused.json()["code"] == "no_goals"
    assert Plan.objects.count() == 1


def test_who_sees_which_plan(api, history, lead_zhao, agent_li, agent_tech, customer_x, team_aftersales):
    team = services.create_plan(
        title="售后组",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        prefill_review=False,
    )
    assert [p["id"] for p in api.get(agent_li, "/plans/").json()] == [team.pk]
    assert api.get(agent_li, f"/plans/{team.pk}").status_code == 200
    assert api.get(agent_tech, "/plans/").json() == []
    assert api.get(agent_tech, f"/plans/{team.pk}").status_code == 404
    assert api.get(customer_x.user, f"/plans/{team.pk}").status_code == 404
    assert api.get(customer_x.user, "/plans/").status_code == 404
    # an agent writes only their own personal plan, whatever the template
    mine = api.post(agent_li, "/plans/", {"template": "personal", "period": "2026-06"})
    assert mine.status_code == 201 and mine.json()["scope"] == "person"
    assert api.post(agent_li, f"/plans/{team.pk}/state", {"to": "active"}).status_code == 403
