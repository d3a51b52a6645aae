"""GET /api/metrics and /api/metrics/{key}: the registry, a metric's points, who may ask what, bad input."""

from __future__ import annotations

import pytest

from kefu.analytics import rollups
from kefu.core import metrics

# Their fixtures are dated around the suite's default instant (a Wednesday in June 2026); the
# run a year later (KEFU_TEST_NOW) would move "today" away from them.
pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def ask(client):
    def call(user, path, **params):
        if user is not None:
            client.force_login(user)
        return client.get(path, params)

    return call


def test_the_registry_lists_every_metric_in_both_languages(ask, test_metrics, lead_zhao):
    answer = ask(lead_zhao, "/api/metrics")
    assert answer.status_code == 200
    listed = {m["key"]: m for m in answer.json()}
    assert set(listed) == {m.key for m in metrics.all_metrics()}
    created = listed["t_created"]
    assert created["unit"] == "count" and created["direction"] == "higher"
    assert created["dimensions"] == ["channel", "team", "agent", "priority"]
    assert set(created["name"]) == {"zh", "en"} and created["formula"]["en"] == "tickets created"


def test_a_supervisor_gets_points_by_month_and_channel(ask, test_metrics, history, lead_zhao):
    answer = ask(
        lead_zhao,
        "/api/metrics/t_created",
        **{"from": "2026-03-01", "to": "2026-05-31", "grain": "month", "by": "channel"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["from"] == "2026-03-01" and body["to"] == "2026-05-31" and body["source"] == "sql"
    march = {p["group"]: p["value"] for p in body["points"] if p["bucket"] == "2026-03-01"}
    with_store = metrics.compute(
        "t_created", start=metrics.date(2026, 3, 1), end=metrics.date(2026, 3, 31), by="channel"
    )
    assert march == {p.group: p.value for p in with_store.points}
    assert sum(p["num"] for p in body["points"]) == sum(
        1
        for t in history
        if metrics.date(2026, 3, 1)
        <= t.created_at.astimezone(metrics.local_zone()).date()
        <= metrics.date(2026, 5, 31)
    )
    # … and once the rollups are built the same answer comes from them.
    rollups.refresh()
    again = ask(
        lead_zhao,
        "/api/metrics/t_created",
        **{"from": "2026-03-01", "to": "2026-05-31", "grain": "month", "by": "channel"},
    ).json()
    assert again["source"] == "rollups" and again["points"] == body["points"]


def test_a_rate_carries_its_numerator_and_denominator(ask, test_metrics, history, lead_zhao):
    body = ask(
        lead_zhao, "/api/metrics/t_reopen", **{"from": "2026-03-01", "to": "2026-06-10", "grain": "total"}
    ).json()
    (point,) = body["points"]
    assert point["bucket"] is None and point["value"] == pytest.approx(100 * point["num"] / point["den"])


def test_an_agent_sees_their_own_figures_and_their_teams(
    ask, test_metrics, history, agent_li, team_aftersales
):
    own = ask(
        agent_li, "/api/metrics/t_created", **{"from": "2026-03-01", "to": "2026-06-10", "agent": agent_li.pk}
    )
    assert own.status_code == 200
    assert sum(p["num"] for p in own.json()["points"]) == sum(
        1 for t in history if t.assignee_id == agent_li.pk
    )
    team = ask(
        agent_li,
        "/api/metrics/t_created",
        **{"from": "2026-03-01", "to": "2026-06-10", "team": team_aftersales.pk, "by": "team"},
    )
    assert team.status_code == 200
    assert {p["group"] for p in team.json()["points"]} == {str(team_aftersales.pk)}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"agent": "OTHER"}, "agent"),  # another agent's figures
        ({"agent": "ME", "by": "agent"}, None),  # allowed: cut by agent, narrowed to themselves
        ({"by": "agent", "team": "MYTEAM"}, "by"),  # every agent of the team, one by one
        ({"team": "OTHERTEAM"}, "team"),  # a team not theirs
        ({"team": "MYTEAM,OTHERTEAM"}, "team"),
        ({}, "agent"),  # the whole centre's figures
        ({"channel": "web"}, "agent"),
    ],
)
def test_an_agent_is_refused_other_peoples_figures(
    ask, test_metrics, history, agent_li, agent_wang, team_aftersales, team_tech, params, field
):
    names = {
        "OTHER": agent_wang.pk,
        "ME": agent_li.pk,
        "MYTEAM": team_aftersales.pk,
        "OTHERTEAM": team_tech.pk,
    }
    query = {k: ",".join(str(names.get(v, v)) for v in str(val).split(",")) for k, val in params.items()}
    answer = ask(agent_li, "/api/metrics/t_created", **query)
    if field is None:
        assert answer.status_code == 200
        return
    assert answer.status_code == 403, answer.content
    assert answer.json()["code"] == "forbidden" and answer.json()["field"] == field


def test_a_supervisor_may_see_any_agent(ask, test_metrics, history, lead_zhao, agent_tech, team_tech):
    answer = ask(lead_zhao, "/api/metrics/t_created", agent=agent_tech.pk, by="team")
    assert answer.status_code == 200
    answer = ask(lead_zhao, "/api/metrics/t_created", team=team_tech.pk, by="agent")
    assert answer.status_code == 200


@pytest.mark.fault("D2")
def test_customers_and_strangers_get_no_figures(
    ask, test_metrics, history, customer_x, customer_y, dept_chen
):
    # customer B's tickets are in the figures: customer A gets none of them, by any route of the API
    history[0].customer = customer_y
    history[0].save(update_fields=["customer"])
    rollups.refresh()
    assert ask(customer_x.user, "/api/metrics").status_code == 403
    for key in ("t_created", "t_reopen", "t_backlog"):
        for params in ({}, {"by": "channel"}, {"channel": "web", "grain": "total"}):
            answer = ask(customer_x.user, f"/api/metrics/{key}", **params)
            assert answer.status_code == 403 and "points" not in answer.json()
    assert ask(dept_chen, "/api/metrics/t_created").status_code == 403
    from django.test import Client

    assert Client().get("/api/metrics/t_created").status_code == 401


def test_an_unknown_metric_names_the_known_ones(ask, test_metrics, lead_zhao):
    answer = ask(lead_zhao, "/api/metrics/no_such_thing")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "unknown_metric" and body["field"] == "key"
    assert {"t_created", "t_reopen", "t_backlog"} <= set(body["allowed"])


@pytest.mark.parametrize(
    "params, code, field",
    [
        ({"by": "colour"}, "unknown_dimension", "by"),
        ({"by": "tier"}, "unknown_dimension", "by"),  # a dimension t_created does not have
        ({"colour": "red"}, "unknown_dimension", "colour"),
        ({"grain": "year"}, "unknown_grain", "grain"),
        ({"from": "2026-06-01", "to": "2026-05-01"}, "bad_period", "from"),
        ({"from": "1976-01-01", "to": "2026-01-01"}, "bad_period", "to"),  # fifty years
        ({"from": "June"}, "bad_date", "from"),
    ],
)
def test_bad_questions_answer_400_saying_what_is_allowed(ask, test_metrics, lead_zhao, params, code, field):
    answer = ask(lead_zhao, "/api/metrics/t_created", **params)
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == code and body["field"] == field and body["message"]
    if code == "unknown_dimension":
        assert "channel" in body["allowed"] and "tier" not in body["allowed"]
