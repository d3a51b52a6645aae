"""An entered State Council notice (issue 14 item 8) makes routing's working days right too: an
agent on the office calendar has the day off on a 2027 holiday the package does not know yet."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.core import businesstime as bt
from kefu.routing.models import AssignmentLog
from kefu.routing.selectors import list_agents_with_status, working_today
from kefu.sla.models import BusinessCalendar
from kefu.sla.services import OFFICE_WEEKLY, NoticeDay, save_calendar, save_statutory_year
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def office_hours(_team_answers_every_day):
    """Replace the routing tests' 7×24 world with office hours and statutory days by default."""
    bt.invalidate_statutory_days()
    BusinessCalendar.objects.all().delete()
    yield save_calendar(by=None, name="售后服务工作日", weekly=OFFICE_WEEKLY, statutory=True, is_default=True)
    bt.invalidate_statutory_days()


def _national_day_2027():
    save_statutory_year(
        by=None,
        year=2027,
        holidays=[NoticeDay(date(2027, 10, d), "国庆节") for d in range(1, 8)],
        workdays=[NoticeDay(date(2027, 9, 26), "国庆节"), NoticeDay(date(2027, 10, 9), "国庆节")],
    )


@pytest.mark.now("2027-10-01 10:00")  # a Friday; chinese-calendar 1.11 does not know 2027
def test_an_entered_holiday_is_a_day_off_for_an_agent(agent_li):
    assert bt.last_statutory_year() < 2027
    assert working_today(list_agents_with_status([agent_li.pk]))[agent_li.pk].works  # no notice yet
    _national_day_2027()
    day = working_today(list_agents_with_status([agent_li.pk]))[agent_li.pk]
    assert not day.works and day.note == "国庆节"


@pytest.mark.now("2027-09-26 10:00")  # a Sunday the notice makes a workday (调休)
def test_an_entered_makeup_sunday_is_a_working_day(agent_li):
    assert not working_today(list_agents_with_status([agent_li.pk]))[agent_li.pk].works
    _national_day_2027()
    assert working_today(list_agents_with_status([agent_li.pk]))[agent_li.pk].works


@pytest.mark.now("2027-10-01 10:00")
def test_nobody_is_routed_on_an_entered_holiday(agent_li, route, team_aftersales):
    _national_day_2027()
    ticket = route(
        CustomerFactory(email="notice2027@example.cn"), "问题", "请帮忙查一下", team=team_aftersales
    )
    assert ticket.assignee is None
    assert "no eligible agent" in AssignmentLog.objects.get(ticket=ticket).detail
