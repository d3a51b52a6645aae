"""Issue 14 item 8: the calendar's next year. chinese-calendar knows the notices up to 2026; from
60 days before a year it does not know, supervisors are asked for the State Council's notice and
enter it in one form, which every calendar uses until the package knows the year."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from kefu.core import businesstime as bt
from kefu.core.errors import ValidationFailed
from kefu.sla.models import Metric, SlaTimer, StatutoryYear
from kefu.sla.services import NoticeDay, TargetSpec, save_policy, save_statutory_year
from tests.clock import parse

NEXT = bt.last_statutory_year() + 1  # 2027 with chinese-calendar 1.11
HOLIDAYS = "2027-01-01 元旦\n2027-10-01 ~ 2027-10-07 国庆节\n"
WORKDAYS = "2027-09-26 国庆节\n2027-10-09 国庆节\n"


@pytest.fixture(autouse=True)
def _fresh_statutory_days():
    """Entered days are cached per process: each test starts and ends without another test's rows."""
    bt.invalidate_statutory_days()
    yield
    bt.invalidate_statutory_days()


@pytest.fixture
def supervisor(client, lead_zhao):
    client.force_login(lead_zhao)
    return client


def _post(client, year=2027, holidays=HOLIDAYS, workdays=WORKDAYS):
    return client.post(
        reverse("sla:statutory_year", args=[year]),
        {"notice": "国务院办公厅关于2027年部分节假日安排的通知", "holidays": holidays, "workdays": workdays},
        headers={"Accept-Language": "zh-hans"},
    )


def test_the_package_still_stops_at_2026():
    assert NEXT == 2027  # the dates below are 2027's; a newer chinese-calendar makes this test say so


@pytest.mark.now("2026-11-15 10:00")  # 47 days before 2027
@pytest.mark.parametrize("page", ["sla:home", "sla:calendar_new", "sla:policy_new"])
def test_supervisors_are_asked_for_next_years_notice(supervisor, page):
    html = supervisor.get(reverse(page), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert 'data-testid="statutory-banner"' in html
    assert "2027 年法定节假日尚未载入" in html
    assert reverse("sla:statutory_year", args=[2027]) in html


@pytest.mark.now("2026-10-15 10:00")  # 78 days before 2027: not yet
def test_no_banner_more_than_60_days_before(supervisor):
    html = supervisor.get(reverse("sla:home"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert 'data-testid="statutory-banner"' not in html and "尚未载入" not in html


@pytest.mark.now("2026-11-15 10:00")
def test_the_form_saves_the_notice_and_the_calendars_use_it(supervisor):
    assert bt.day_info(bt.OFFICE, date(2027, 10, 1)).kind == "workday"  # a Friday, before the notice
    answer = _post(supervisor)
    assert answer.status_code == 302, answer.content.decode()
    row = StatutoryYear.objects.get(year=2027)
    assert len([d for d in row.days if d["kind"] == "holiday"]) == 8
    assert row.notice.startswith("国务院办公厅")
    info = bt.day_info(bt.OFFICE, date(2027, 10, 1))
    assert (info.kind, info.title) == ("holiday", "国庆节")
    assert bt.day_info(bt.OFFICE, date(2027, 9, 26)).kind == "makeup"  # a Sunday worked (调休)
    assert bt.day_info(bt.OFFICE, date(2027, 1, 1)).title == "元旦"
    # Two working hours from Thursday 2027-09-30 17:00 end after the holiday, not on Friday the 1st.
    assert bt.add_business_time(bt.OFFICE, parse("2027-09-30 17:00"), 2 * bt.timedelta(hours=1)) == parse(
        "2027-10-08 10:00"
    )
    page = supervisor.get(reverse("sla:home"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "尚未载入" not in page and 'data-testid="statutory-year"' in page
    form = supervisor.get(reverse("sla:statutory_year", args=[2027])).content.decode()
    assert "2027-10-01 ~ 2027-10-07 国庆节" in form  # read back as it was entered


@pytest.mark.now("2027-09-30 17:00")  # the package does not know 2027: the entered notice decides
def test_sla_due_times_skip_an_entered_holiday(opened, db):
    save_statutory_year(
        by=None,
        year=2027,
        holidays=[NoticeDay(date(2027, 10, d), "国庆节") for d in range(1, 8)],
        workdays=[NoticeDay(date(2027, 10, 9), "国庆节")],
    )
    save_policy(by=None, name="标准", targets=[TargetSpec(Metric.FIRST_RESPONSE, 2 * 3600)])
    ticket = opened()
    timer = SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert timer.due_at.replace(second=0, microsecond=0) == parse("2027-10-08 10:00")  # not Friday the 1st


@pytest.mark.now("2026-11-15 10:00")
@pytest.mark.parametrize(
    ("year", "holidays", "workdays", "reason"),
    [
        (2027, "2027-10-01 国庆节", "2027-10-01 国庆节", "不能既是放假日又是调休上班日"),
        (2027, "2027-12-31 ~ 2028-01-01 元旦", "", "2028-01-01 不在 2027 年内"),
        (2027, "2027-10-01 国庆节", "2026-09-27 国庆节", "2026-09-27 不在 2027 年内"),
        (2026, "2026-10-01 国庆节", "", "chinese-calendar 已载入 2026 年的法定节假日"),
        (2027, "2027-10-01 国庆节", "2027-09-28 国庆节", "调休上班日应是周六或周日"),
        (2027, "", "", "至少包含一个节假日"),
        (2027, "国庆节 十月一日", "", "请写日期或日期范围加节日名称"),
        (2027, "2027-02-30 春节", "", "不是日期"),
        (2029, "2029-10-01 国庆节", "", "只能录入今年或明年的放假通知"),
    ],
)
def test_a_bad_notice_is_refused_with_the_reason(supervisor, year, holidays, workdays, reason):
    answer = _post(supervisor, year=year, holidays=holidays, workdays=workdays)
    assert answer.status_code == 422
    assert reason in answer.content.decode()
    assert not StatutoryYear.objects.exists()
    assert bt.day_info(bt.OFFICE, date(2027, 10, 1)).kind == "workday"


@pytest.mark.now("2026-11-15 10:00")
def test_the_service_refuses_the_same_bad_input(db):
    with pytest.raises(ValidationFailed) as err:
        save_statutory_year(
            by=None,
            year=2027,
            holidays=[NoticeDay(date(2027, 10, 1), "国庆节")],
            workdays=[NoticeDay(date(2027, 10, 1), "国庆节")],
        )
    assert err.value.field == "days"
    with pytest.raises(ValidationFailed) as err:
        save_statutory_year(by=None, year=2027, holidays=[NoticeDay(date(2028, 1, 1), "元旦")])
    assert err.value.field == "days"
    with pytest.raises(ValidationFailed) as err:
        save_statutory_year(by=None, year=2026, holidays=[NoticeDay(date(2026, 10, 1), "国庆节")])
    assert err.value.field == "year"


@pytest.mark.now("2026-11-15 10:00")
def test_only_supervisors_enter_a_notice(client, agent_li):
    client.force_login(agent_li)
    assert client.get(reverse("sla:statutory_year", args=[2027])).status_code == 404
    assert _post(client).status_code == 404
    assert not StatutoryYear.objects.exists()
