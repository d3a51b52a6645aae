"""The staffing page and API: supervisors only (404 for others), forecast, requirement with the
floor, rosters with conflicts before publishing, Erlang figures, swaps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.workforce import forecasting
from kefu.workforce.models import Roster
from tests.api.conftest import Api

from .test_rosters import _forecast


@pytest.fixture
def api():
    return Api()


def test_erlang_endpoint_answers_the_published_example_and_an_unstable_queue(api, agent_li):
    body = {"arrivals": 100, "interval": 1800, "aht": 180, "service_level": 0.8, "answer_within": 20}
    ok = api.post(agent_li, "/workforce/erlang", body)
    assert ok.status_code == 200, ok.content
    assert ok.json()["agents"] == 14 and ok.json()["service_level"] == pytest.approx(0.8884, abs=1e-3)
    unstable = api.post(agent_li, "/workforce/erlang", {**body, "agents": 10})
    assert (
        unstable.status_code == 200 and unstable.json()["stable"] is False and unstable.json()["asa"] is None
    )
    bad = api.post(agent_li, "/workforce/erlang", {**body, "aht": 0})
    assert bad.status_code == 422 and bad.json()["field"].endswith("aht")
    chat = api.post(agent_li, "/workforce/erlang", {**body, "answer_within": 30, "patience": 60})
    assert chat.json()["model"] == "erlang_a" and chat.json()["agents"] < 14


def test_requirement_and_rosters_are_for_supervisors(api, agent_li, lead_zhao, next_week):
    _forecast(next_week, per_half_hour=100.0)
    for path in ("/workforce/requirement", "/workforce/forecast"):
        assert api.get(agent_li, path).status_code == 404
    needs = api.get(lead_zhao, f"/workforce/requirement?week={next_week}").json()
    assert len(needs) == 7 * 48
    ten = needs[20]  # Monday 10:00
    assert ten["total"] == 100 and ten["peak"] and ten["required"] > 14 and ten["on_duty"] == 0
    night = needs[2]
    assert night["required"] == 0 and not night["peak"]


def test_roster_api_shows_conflicts_before_publishing(
    api, lead_zhao, agent_li, team_aftersales, patterns, next_week
):
    created = api.post(
        lead_zhao, "/workforce/rosters", {"team_id": team_aftersales.pk, "week_start": str(next_week)}
    )
    assert created.status_code == 200, created.content
    rid = created.json()["id"]
    wed = str(next_week + timedelta(days=2))
    for p in ("early", "late"):
        r = api.post(
            lead_zhao,
            f"/workforce/rosters/{rid}/shifts",
            {"agent_id": agent_li.pk, "day": wed, "pattern_id": patterns[p].pk},
        )
        assert r.status_code == 200, r.content
    shown = api.get(lead_zhao, f"/workforce/rosters/{rid}").json()
    assert any(c["kind"] == "overlap" for c in shown["conflicts"])
    refused = api.post(lead_zhao, f"/workforce/rosters/{rid}/publish", {"accept_conflicts": True})
    assert refused.status_code == 409 and refused.json()["code"] == "roster_conflicts"
    assert any(c["kind"] == "overlap" for c in refused.json()["conflicts"])
    wrong_day = api.post(
        lead_zhao,
        f"/workforce/rosters/{rid}/shifts",
        {
            "agent_id": agent_li.pk,
            "day": str(next_week - timedelta(days=1)),
            "pattern_id": patterns["early"].pk,
        },
    )
    assert wrong_day.status_code == 422 and wrong_day.json()["field"] == "day"
    monday = api.post(
        lead_zhao,
        "/workforce/rosters",
        {"team_id": team_aftersales.pk, "week_start": str(next_week + timedelta(days=1))},
    )
    assert monday.status_code == 422 and monday.json()["field"] == "week_start"
    # an agent sees no draft roster
    assert api.get(agent_li, f"/workforce/rosters/{rid}").status_code == 404


def test_staffing_page_draws_the_forecast_and_is_not_for_agents(client, lead_zhao, agent_li, next_week):
    _forecast(next_week, per_half_hour=30.0)
    client.force_login(agent_li)
    assert client.get("/agent/workforce/").status_code == 404
    client.force_login(lead_zhao)
    page = client.get(f"/agent/workforce/?week={next_week}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="staffing-chart-data"' in html and "Agents required" in html and "vendor/echarts" in html
    assert 'data-testid="staffing-days"' in html


def test_supervisor_plans_and_publishes_a_roster_from_the_pages(
    client, lead_zhao, agent_li, agent_wang, team_aftersales, patterns, next_week
):
    client.force_login(lead_zhao)
    answer = client.post("/agent/workforce/rosters/", {"team": team_aftersales.pk, "week": str(next_week)})
    roster = Roster.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/rosters/{roster.pk}/")
    days = [str(next_week + timedelta(days=i)) for i in range(5)]
    client.post(
        f"/agent/workforce/rosters/{roster.pk}/shifts/",
        {"agent": agent_li.pk, "pattern": patterns["early"].pk, "day": days},
    )
    client.post(
        f"/agent/workforce/rosters/{roster.pk}/shifts/",
        {"agent": agent_li.pk, "pattern": patterns["late"].pk, "day": days[:1]},
    )
    page = client.get(f"/agent/workforce/rosters/{roster.pk}/").content.decode()
    assert 'data-kind="overlap"' in page and page.count("早班") >= 5
    shown = client.post(
        f"/agent/workforce/rosters/{roster.pk}/publish/", {"accept": "1"}, follow=True
    ).content.decode()
    assert "Overlapping shifts must be resolved" in shown
    late = roster.entries.get(pattern=patterns["late"])
    client.post(f"/agent/workforce/rosters/{roster.pk}/shifts/{late.pk}/remove/")
    client.post(f"/agent/workforce/rosters/{roster.pk}/publish/", {"accept": "1"})
    roster.refresh_from_db()
    assert roster.state == "published"
    # the agent sees the published roster and asks for a swap; the supervisor approves it
    client.force_login(agent_li)
    entry = roster.entries.order_by("day").first()
    client.post(
        f"/agent/workforce/rosters/{roster.pk}/shifts/{entry.pk}/swap/",
        {"to": agent_wang.pk, "reason": "看病"},
    )
    client.force_login(lead_zhao)
    assert "看病" in client.get(f"/agent/workforce/?week={next_week}").content.decode()
    swap = entry.swaps.get()
    client.post(f"/agent/workforce/swaps/{swap.pk}/", {"approve": "1"})
    entry.refresh_from_db()
    assert entry.agent == agent_wang


def test_forecast_again_from_the_page(client, lead_zhao):
    client.force_login(lead_zhao)
    shown = client.post("/agent/workforce/forecast/", follow=True).content.decode()
    assert "Forecast updated from 0 tickets" in shown
    assert forecasting.run_nightly() is None


def test_odd_weeks_and_ids_answer_4xx_not_500(api, client, lead_zhao, team_aftersales):
    assert api.get(lead_zhao, "/workforce/requirement?week=9999-12-31").status_code == 422
    far = api.post(
        lead_zhao, "/workforce/rosters", {"team_id": team_aftersales.pk, "week_start": "0001-01-01"}
    )
    assert far.status_code == 422
    huge = api.post(lead_zhao, "/workforce/rosters", {"team_id": 10**30, "week_start": "2026-06-15"})
    assert huge.status_code == 422
    client.force_login(lead_zhao)
    assert client.get("/agent/workforce/?week=9999-12-31").status_code == 200  # falls back to next week
    answer = client.post("/agent/workforce/rosters/", {"team": str(10**30), "week": "2026-06-15"})
    assert answer.status_code == 302
