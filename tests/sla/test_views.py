"""What agents and supervisors see: countdowns on tickets and queue rows, and the SLA settings pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse

from kefu.core.errors import ValidationFailed
from kefu.sla import views
from kefu.sla.models import BusinessCalendar, Metric, SlaPolicy, SlaTimer
from kefu.sla.selectors import humanize
from kefu.sla.services import OFFICE_WEEKLY, save_calendar, save_policy
from kefu.sla.sweep import sweep


@pytest.fixture
def supervisor(client, lead_zhao):
    client.force_login(lead_zhao)
    return client


def test_humanize_reads_like_the_plans():
    assert humanize(timedelta(minutes=35, seconds=10)) == "35 min left"
    assert humanize(timedelta(hours=2, minutes=5)) == "2 h 5 min left"
    assert humanize(timedelta(seconds=-600)) == "overdue by 10 min"


def test_humanize_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert humanize(timedelta(minutes=35)) == "剩余 35 分钟"
        assert humanize(timedelta(minutes=-10)) == "已超时 10 分钟"


def test_the_ticket_page_shows_the_countdown_and_red_when_breached(clock_policy, opened, client, agent_li):
    ticket = opened()
    client.force_login(agent_li)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="sla-panel"' in page and "min left" in page
    shift = timedelta(hours=11)  # as if the ticket had come in 11 hours ago
    SlaTimer.objects.filter(ticket=ticket).update(
        started_at=F("started_at") - shift, due_at=F("due_at") - shift, check_at=F("check_at") - shift
    )
    assert sweep().breached == 2
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "overdue by" in page and "text-danger" in page


def test_queue_badges_take_one_query_per_page(clock_policy, opened, agent_li, django_assert_num_queries):
    made = [opened(subject=f"物流查询 {i}") for i in range(6)]
    request = RequestFactory().get("/agent/")
    request.user = agent_li
    with django_assert_num_queries(1):
        badges = views.row_badges(request, made)
    assert set(badges) == {t.pk for t in made}
    assert all("left" in html for html in badges.values())


def test_the_queue_shows_the_badges(clock_policy, opened, client, lead_zhao):
    opened()
    client.force_login(lead_zhao)
    assert 'data-testid="sla-badge"' in client.get(reverse("agent:queue")).content.decode()


def test_only_supervisors_reach_the_settings(client, agent_li, supervisor):
    assert supervisor.get(reverse("sla:home")).status_code == 200
    client.force_login(agent_li)
    assert client.get(reverse("sla:home")).status_code == 404


def test_the_policy_list_reads_in_words_not_codes_and_seconds(supervisor):
    from kefu.sla.services import TargetSpec

    save_policy(
        by=None,
        name="投诉：1 小时内确认",
        types=["complaint"],
        tiers=["vip"],
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 3600), TargetSpec(Metric.RESOLUTION, 81000)],
    )
    html = supervisor.get(reverse("sla:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "投诉, VIP" in html and "complaint" not in html
    # 81000 s in business time is 3 working days of 7.5 hours (office hours), not 22 h 30 min
    assert (
        "1 小时*" in html and "3 个工作日*" in html and "22 小时 30 分钟" not in html and "3600s" not in html
    )


def test_a_supervisor_edits_a_calendar_and_sees_the_holidays(supervisor):
    form = {"name": "售后服务", "tz": "Asia/Shanghai", "statutory": "on", "holidays": "2026-12-31"}
    form |= {f"day{i}": "09:00-12:00, 13:30-18:00" for i in range(5)}
    answer = supervisor.post(reverse("sla:calendar_new"), form, follow=True)
    assert answer.status_code == 200
    row = BusinessCalendar.objects.get(name="售后服务")
    assert row.weekly[0] == [["09:00", "12:00"], ["13:30", "18:00"]] and row.weekly[5] == []
    assert row.holidays == ["2026-12-31"]
    assert "2026-12-31" in answer.content.decode()  # the preview lists the custom holiday


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        ({}, "at least one working period"),
        ({"day0": "09:00-12:00, 11:00-14:00"}, "overlap"),
        ({"day0": "18:00-09:00"}, "end after it starts"),
    ],
)
def test_a_bad_calendar_is_refused_with_the_reason(supervisor, days, reason):
    answer = supervisor.post(reverse("sla:calendar_new"), {"name": "错误", "tz": "Asia/Shanghai", **days})
    assert answer.status_code == 422
    assert reason in answer.content.decode()
    assert not BusinessCalendar.objects.exists()


def test_services_refuse_bad_calendars_and_policies(db):
    with pytest.raises(ValidationFailed) as err:
        save_calendar(by=None, name="空", weekly=[[]] * 7)
    assert err.value.field == "periods"
    with pytest.raises(ValidationFailed) as err:
        save_calendar(by=None, name="坏日期", weekly=OFFICE_WEEKLY, holidays=["明天"])
    assert err.value.field == "days"
    with pytest.raises(ValidationFailed) as err:
        save_policy(by=None, name="坏", channels=["fax"], targets=[])
    assert err.value.field == "channels"
    with pytest.raises(ValidationFailed) as err:
        save_policy(by=None, name="无目标", targets=[])
    assert err.value.field == "targets"


def test_a_supervisor_creates_a_policy(supervisor):
    answer = supervisor.post(
        reverse("sla:policy_new"),
        {
            "name": "投诉",
            "position": "20",
            "active": "on",
            "types": ["complaint"],
            "t_acknowledgement": "60",
            "b_acknowledgement": "on",
            "t_resolution": "1440",
            "warn_percent": "80",
            "notify_on_breach": "on",
            "raise_priority_on_breach": "on",
        },
        follow=True,
    )
    assert answer.status_code == 200
    policy = SlaPolicy.objects.get(name="投诉")
    targets = {t.metric: (t.seconds, t.business_time) for t in policy.targets.all()}
    assert targets == {Metric.ACKNOWLEDGEMENT: (3600, True), Metric.RESOLUTION: (86400, False)}
    assert policy.types == ["complaint"] and policy.raise_priority_on_breach
    assert supervisor.get(reverse("sla:policy", args=[policy.pk])).status_code == 200


def test_a_bad_policy_form_is_refused(supervisor):
    answer = supervisor.post(reverse("sla:policy_new"), {"name": "坏", "t_resolution": "abc"})
    assert answer.status_code == 422
    assert not SlaPolicy.objects.exists()


def test_the_demo_is_idempotent(db, team_aftersales, make_ticket, customer_x, agent_li):
    from kefu.core import events
    from kefu.sla import demo
    from kefu.tickets import services as tickets

    demo.load_config()
    demo.load_config()
    assert BusinessCalendar.objects.count() == 2 and SlaPolicy.objects.count() == 4
    assert BusinessCalendar.objects.get(is_default=True).team == team_aftersales
    with events.muted():  # the demo's history is written without reactions
        quiet = make_ticket(customer_x, subject="还没人回复")
        answered = make_ticket(customer_x, subject="已回复又追问")
        tickets.reply(answered, body="您好，正在处理。", by=agent_li)
        tickets.reply(answered, body="请问进度如何？", by=customer_x.user)
    demo.after_tickets()
    demo.after_tickets()
    assert set(SlaTimer.objects.filter(ticket=quiet).values_list("metric", flat=True)) == {
        Metric.FIRST_RESPONSE,
        Metric.RESOLUTION,
    }
    assert set(SlaTimer.objects.filter(ticket=answered).values_list("metric", flat=True)) == {
        Metric.NEXT_RESPONSE,
        Metric.RESOLUTION,
    }


@pytest.mark.fault("A2")
def test_the_api_lists_a_tickets_timers_and_hides_others(
    clock_policy, opened, client, agent_li, agent_tech, team_aftersales
):
    from kefu.accounts.services import create_api_token

    ticket = opened(team_id=team_aftersales.pk)
    _row, secret = create_api_token(user=agent_li, name="t")
    answer = client.get(f"/api/sla/tickets/{ticket.pk}/timers", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200, answer.content
    body = {t["metric"]: t for t in answer.json()}
    assert body["first_response"]["state"] == "running"
    assert 3500 < body["first_response"]["remaining_seconds"] <= 3600
    _row, other = create_api_token(user=agent_tech, name="t")
    hidden = client.get(f"/api/sla/tickets/{ticket.pk}/timers", headers={"Authorization": f"Bearer {other}"})
    assert hidden.status_code == 404


def test_supervisors_see_the_sla_link(supervisor, client, agent_li):
    assert reverse("sla:home") in supervisor.get(reverse("agent:queue")).content.decode()
    client.force_login(agent_li)
    assert reverse("sla:home") not in client.get(reverse("agent:queue")).content.decode()


def test_the_holiday_preview_names_the_holidays_in_chinese(supervisor, lead_zhao):
    from django.utils import timezone

    row = save_calendar(by=None, name="售后", weekly=OFFICE_WEEKLY)
    page = supervisor.get(
        reverse("sla:calendar", args=[row.pk]), headers={"Accept-Language": "zh-hans"}
    ).content.decode()
    if timezone.now().year <= 2026:  # chinese-calendar 1.11 knows the notices up to 2026
        assert "国庆节" in page and "调休上班" in page
    assert "法定节假日数据截至" in page
