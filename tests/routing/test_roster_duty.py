"""Availability from the roster: a source registered in core.extensions (the workforce app's
published roster) decides who is on duty; agents it does not cover keep the calendar rule."""

from __future__ import annotations

import pytest

from kefu.core import extensions
from kefu.routing.models import AgentStatus, Presence
from kefu.routing.selectors import list_agents_with_status, working_today


@pytest.fixture
def roster():
    on: dict[int, bool] = {}
    calls = []

    def source(agent_ids, at):
        calls.append((list(agent_ids), at))
        return {pk: on[pk] for pk in agent_ids if pk in on}

    extensions.register_duty_source("test-roster", source)
    yield on
    extensions._duty_sources.pop("test-roster", None)


def test_an_agent_off_the_roster_is_not_assigned_and_one_on_it_is(
    agent_li, agent_wang, customer_x, route, team_aftersales, roster
):
    roster[agent_li.pk] = False  # rostered off now
    roster[agent_wang.pk] = True  # on shift now
    ticket = route(customer_x, team=team_aftersales)
    assert ticket.assignee == agent_wang
    days = working_today(list_agents_with_status([agent_li.pk, agent_wang.pk]))
    assert days[agent_li.pk].works is False and days[agent_wang.pk].works is True


def test_the_roster_overrides_the_weekdays_but_presence_stays_the_agents_switch(
    agent_li, customer_x, route, team_aftersales, roster
):
    from kefu.routing.services.assignment import today

    day_off = "".join(d for d in "1234567" if d != str(today().isoweekday()))
    status = AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE, working_days=day_off)
    roster[agent_li.pk] = True
    assert route(customer_x, "第一个", team=team_aftersales).assignee is None  # offline: own switch
    status.presence = Presence.ONLINE
    status.save()
    assert route(customer_x, "第二个", team=team_aftersales).assignee == agent_li  # weekdays overridden


def test_agents_no_roster_covers_keep_the_calendar_rule(agent_li, customer_x, route, team_aftersales, roster):
    assert roster == {}
    assert route(customer_x, team=team_aftersales).assignee == agent_li


def test_a_failing_roster_source_does_not_stop_routing(agent_li, customer_x, route, team_aftersales):
    def broken(agent_ids, at):
        raise RuntimeError("roster store down")

    extensions.register_duty_source("test-broken", broken)
    try:
        assert route(customer_x, team=team_aftersales).assignee == agent_li
    finally:
        extensions._duty_sources.pop("test-broken", None)
