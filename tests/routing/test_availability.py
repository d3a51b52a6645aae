"""Which days an agent works: their business calendar (statutory holidays off, 调休 on, 7×24 every
day), their own weekdays when a supervisor set them, the day counted in the calendar's zone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.routing.models import AgentStatus, AssignmentLog, Presence
from kefu.routing.services.assignment import route_waiting
from kefu.sla.models import BusinessCalendar
from kefu.sla.services import ALWAYS_WEEKLY, OFFICE_WEEKLY, save_calendar
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def office_hours(_team_answers_every_day):
    """Replace the routing tests' 7×24 world with what a new install has: office hours by default."""
    BusinessCalendar.objects.all().delete()
    return save_calendar(
        by=None, name="售后服务工作日", weekly=OFFICE_WEEKLY, statutory=True, is_default=True
    )


def _ticket(route, team, n=1):
    return route(CustomerFactory(email=f"avail{n}@example.cn"), f"问题{n}", "请帮忙查一下", team=team)


@pytest.mark.now("2026-10-01 10:00")  # 国庆节, a Thursday
def test_nobody_is_routed_on_national_day_and_the_ticket_waits(agent_li, route, team_aftersales):
    ticket = _ticket(route, team_aftersales)
    assert ticket.assignee is None
    assert "no eligible agent" in AssignmentLog.objects.get(ticket=ticket).detail
    assert route_waiting() == 0  # still a holiday: it keeps waiting


@pytest.mark.now("2026-10-10 10:00")  # 调休: a Saturday the State Council made a workday
def test_a_makeup_saturday_is_a_working_day(agent_li, agent_wang, route, team_aftersales):
    AgentStatus.objects.create(agent=agent_wang, working_days="12345")  # own weekdays work 调休 too
    AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE)
    assert _ticket(route, team_aftersales).assignee == agent_wang


@pytest.mark.now("2026-06-13 10:00")  # an ordinary Saturday
def test_an_ordinary_saturday_is_off_unless_the_agent_works_weekends(
    agent_li, agent_wang, route, team_aftersales
):
    assert _ticket(route, team_aftersales, 1).assignee is None
    AgentStatus.objects.create(agent=agent_wang, working_days="67")  # the weekend shift
    assert _ticket(route, team_aftersales, 2).assignee == agent_wang


@pytest.mark.now("2026-10-01 10:00")
def test_a_team_on_a_7x24_calendar_works_on_holidays(agent_li, route, team_aftersales, team_tech, agent_tech):
    save_calendar(by=None, name="在线客服 7×24", weekly=ALWAYS_WEEKLY, statutory=False, team=team_aftersales)
    assert _ticket(route, team_aftersales, 1).assignee == agent_li
    assert _ticket(route, team_tech, 2).assignee is None  # 技术支持 keeps the default office calendar


@pytest.mark.now("2026-06-10 10:00")  # a Wednesday
def test_a_custom_holiday_of_the_calendar_is_a_day_off(agent_li, route, team_aftersales, office_hours):
    save_calendar(
        by=None,
        name=office_hours.name,
        weekly=OFFICE_WEEKLY,
        statutory=True,
        holidays=["2026-06-10"],  # the company's anniversary
        is_default=True,
        calendar=office_hours,
    )
    assert _ticket(route, team_aftersales).assignee is None


@pytest.mark.now("2026-06-13 10:00")
def test_without_any_calendar_agents_keep_office_hours(agent_li, route, team_aftersales):
    BusinessCalendar.objects.all().delete()
    assert _ticket(route, team_aftersales).assignee is None


@pytest.mark.now("2026-09-30 23:59")
def test_the_day_is_the_calendars_local_day(agent_li, route, team_aftersales, fixed_clock):
    # 23:59 in Shanghai on the last workday before the holiday (15:59 UTC)
    assert _ticket(route, team_aftersales, 1).assignee == agent_li
    fixed_clock.move_to("2026-10-01T00:01:00+08:00")  # still 30 September in UTC, 国庆 in Shanghai
    assert _ticket(route, team_aftersales, 2).assignee is None


@pytest.mark.now("2026-10-01 10:00")
def test_the_availability_page_and_api_say_who_is_off_today_and_why(client, lead_zhao, agent_li, agent_wang):
    AgentStatus.objects.create(agent=agent_wang, working_days="1234567")
    client.force_login(lead_zhao)
    rows = {r["username"]: r for r in client.get("/api/routing/agents").json()}
    assert (rows["agent_li"]["works_today"], rows["agent_li"]["day_note"]) == (False, "National Day")
    assert rows["agent_li"]["working_days"] == ""  # follows the calendar
    assert rows["agent_wang"]["works_today"] is False  # own weekdays, but a holiday is a day off
    page = client.get(reverse("routing:home"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert page.count('data-testid="day-off"') == 2 and "国庆节" in page
