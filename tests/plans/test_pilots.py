"""Pilots: an action applied to one team, its metrics compared with the other teams in the same
period, read through the registry from real tickets (opened through intake, solved through the
ticket services); shown on the plan page as pilot vs rest; a pilot the registry cannot measure is
refused."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from kefu.plans import actions, pilots, services
from kefu.plans.errors import UnknownMetric, UnknownScope
from kefu.tickets import services as tickets

from .conftest import at

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def june(db, customer_x, lead_zhao, make_ticket, team_aftersales, team_tech):
    """June: three tickets for 售后 (two solved), two for 技术 (none solved); May: one more for
    售后, outside the pilot's period."""
    made = []
    for when, team in (
        ("2026-05-20 10:00", team_aftersales),
        ("2026-06-02 10:00", team_aftersales),
        ("2026-06-03 11:00", team_aftersales),
        ("2026-06-04 15:00", team_aftersales),
        ("2026-06-03 09:00", team_tech),
        ("2026-06-05 16:00", team_tech),
    ):
        with time_machine.travel(at(when), tick=False):
            made.append(make_ticket(customer_x, subject=f"问题 {when}", team=team))
    with time_machine.travel(at("2026-06-05 10:00"), tick=False):
        for ticket in made[1:3]:
            tickets.change_status(ticket, to="solved", by=lead_zhao)
    return made


@pytest.fixture
def plan(db, lead_zhao):
    return services.create_plan(
        title="六月计划", kind="process", period="2026-06", by=lead_zhao, prefill_review=False
    )


def _pilot(plan, owner, team, **kw):
    spec = actions.ActionSpec(
        title="新话术试点",
        kind="process",
        owner=owner,
        start=date(2026, 6, 1),
        due=date(2026, 6, 30),
        pilot_dimension="team",
        pilot_values=[str(team.pk)],
        pilot_metrics=["tickets_created", "tickets_solved"],
    )
    for k, v in kw.items():
        setattr(spec, k, v)
    return spec


def test_pilot_team_against_the_rest(june, plan, lead_zhao, agent_li, team_aftersales):
    action = actions.create_action(plan, spec=_pilot(plan, agent_li, team_aftersales), by=lead_zhao)
    figures = {f.key: f for f in pilots.compare(action)}
    created, solved = figures["tickets_created"], figures["tickets_solved"]
    assert (created.pilot, created.rest) == (3, 2)  # the May ticket is outside the period
    assert (solved.pilot, solved.rest) == (2, 0)
    assert solved.better is True and solved.difference == 2
    assert (created.start, created.end) == (date(2026, 6, 1), date(2026, 6, 10))  # up to today


def test_the_page_shows_pilot_vs_rest(client, june, plan, lead_zhao, agent_li, team_aftersales):
    actions.create_action(plan, spec=_pilot(plan, agent_li, team_aftersales), by=lead_zhao)
    client.force_login(lead_zhao)
    html = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert html.count('data-testid="pilot-row"') == 2
    assert 'data-testid="pilot"' in html


def test_a_pilot_the_registry_cannot_measure_is_refused(
    db, plan, lead_zhao, agent_li, team_aftersales, test_metrics
):
    with pytest.raises(UnknownMetric):
        actions.create_action(
            plan, spec=_pilot(plan, agent_li, team_aftersales, pilot_metrics=["nope"]), by=lead_zhao
        )
    with pytest.raises(UnknownMetric):
        actions.create_action(
            plan, spec=_pilot(plan, agent_li, team_aftersales, pilot_metrics=[]), by=lead_zhao
        )
    with pytest.raises(UnknownScope):  # the test metric cannot be cut by category
        actions.create_action(
            plan,
            spec=_pilot(
                plan,
                agent_li,
                team_aftersales,
                pilot_dimension="category",
                pilot_values=["1"],
                pilot_metrics=["plan_test_count"],
            ),
            by=lead_zhao,
        )
    with pytest.raises(UnknownScope):  # no such team
        actions.create_action(
            plan, spec=_pilot(plan, agent_li, team_aftersales, pilot_values=["99999"]), by=lead_zhao
        )


def test_api_shows_the_pilot(june, plan, lead_zhao, agent_li, team_aftersales, settings):
    from tests.api.conftest import Api

    settings.KEFU_API_RATE = "10000/3600"
    api = Api()
    body = {
        "title": "试点",
        "kind": "process",
        "owner": agent_li.pk,
        "start": "2026-06-01",
        "due": "2026-06-30",
        "pilot_dimension": "team",
        "pilot_values": [str(team_aftersales.pk)],
        "pilot_metrics": ["tickets_created"],
    }
    made = api.post(lead_zhao, f"/plans/{plan.pk}/actions", body)
    assert made.status_code == 201, made.content
    row = made.json()["pilot"][0]
    assert (row["metric"], row["pilot"], row["rest"], row["difference"]) == ("tickets_created", 3.0, 2.0, 1.0)
    bad = api.post(lead_zhao, f"/plans/{plan.pk}/actions", {**body, "pilot_metrics": ["nope"]})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_metric"
