"""Issue 14 item 3: times read in the words of the policy — working days and hours of the policy's
calendar, the due time on hover, the reason a timer waits, and a panel that counts down by itself."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from kefu.sla import selectors
from kefu.sla.models import Metric
from kefu.sla.services import WORKDAY, TargetSpec, save_policy
from kefu.tickets.services import change_status
from tests.clock import parse

NO_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")
POLICY = "标准：2 小时首次响应，3 个工作日解决"


@pytest.fixture
def three_days(db):
    """The plans' standard policy: first response in 2 working hours, solved in 3 working days."""
    return save_policy(
        by=None,
        name=POLICY,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, 2 * 3600),
            TargetSpec(Metric.RESOLUTION, 3 * WORKDAY),
        ],
    )


def _panel(client, ticket, language="en"):
    return client.get(
        reverse("agent:ticket", args=[ticket.pk]), headers={"Accept-Language": language}
    ).content.decode()


def _row(page: str, metric: str) -> str:
    found = re.search(rf'<li[^>]*data-metric="{metric}".*?</li>', page, re.S)
    assert found, f"no {metric} row"
    return found.group(0)


def test_business_time_reads_in_working_days_of_the_calendar():
    assert selectors.business_text(3 * WORKDAY, WORKDAY) == "3 working days"
    assert selectors.business_text(WORKDAY + 2 * 3600 + 40 * 60, WORKDAY) == "1 working day 2 h"
    assert selectors.business_text(2 * 3600, WORKDAY) == "2 h"  # under a working day: hours
    assert selectors.business_text(3 * 86400, 86400) == "72 h"  # 7×24: no working day to count in
    assert selectors.humanize(timedelta(seconds=WORKDAY + 7200), workday=WORKDAY) == "1 working day 2 h left"
    with translation.override("zh-hans"):
        assert selectors.business_text(3 * WORKDAY, WORKDAY) == "3 个工作日"
        assert (
            selectors.humanize(timedelta(seconds=WORKDAY + 7200), workday=WORKDAY) == "剩余 1 个工作日 2 小时"
        )


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "3 个工作日*"), ("en", "3 working days*")])
def test_the_sla_page_shows_the_policy_in_its_own_words(three_days, client, lead_zhao, language, text):
    client.force_login(lead_zhao)
    page = client.get(reverse("sla:home"), headers={"Accept-Language": language}).content.decode()
    assert text in page
    assert "22 小时 30 分钟" not in page and "22 h 30 min" not in page


@pytest.mark.now("2026-06-10 10:00")  # a Wednesday: 3 working days end on Monday 10:00
@pytest.mark.parametrize(
    ("language", "target", "left", "title"),
    [
        ("zh-hans", "3 个工作日", "剩余 3 个工作日", "截止 2026-06-15 星期一 10:00"),
        ("en", "3 working days", "3 working days left", "Due 2026-06-15 Monday 10:00"),
    ],
)
def test_the_ticket_panel_shows_working_days_and_the_due_time_on_hover(
    three_days, opened, client, agent_li, language, target, left, title
):
    ticket = opened()
    client.force_login(agent_li)
    row = _row(_panel(client, ticket, language), Metric.RESOLUTION)
    assert target in row and left in row
    assert f'title="{title}"' in row
    assert "22 小时" not in row and "22 h" not in row


@pytest.mark.now("2026-06-10 10:00")
def test_remaining_time_counts_down_in_working_days_and_hours(three_days, opened):
    ticket = opened()
    # Thursday noon: Wednesday 10:00–18:00 (6.5 h) and Thursday 9:00–12:00 (3 h) are spent.
    views = {v.timer.metric: v for v in selectors.ticket_timers(ticket.pk, at=parse("2026-06-11 12:00"))}
    assert views[Metric.RESOLUTION].text == "1 working day 5 h left"
    # Monday 09:30, half an hour before the due time; the weekend did not count.
    views = {v.timer.metric: v for v in selectors.ticket_timers(ticket.pk, at=parse("2026-06-15 09:30"))}
    assert views[Metric.RESOLUTION].text == "30 min left"


@pytest.mark.now("2026-06-12 17:00")  # a Friday, an hour before closing
def test_a_due_time_after_the_weekend_says_so(three_days, opened, client, agent_li):
    ticket = opened()
    client.force_login(agent_li)
    row = _row(_panel(client, ticket), Metric.FIRST_RESPONSE)
    assert "due Monday 10:00 — after the weekend" in row
    assert 'title="Due 2026-06-15 Monday 10:00"' in row
    zh = _row(_panel(client, ticket, "zh-hans"), Metric.FIRST_RESPONSE)
    assert "星期一 10:00 到期（周末之后）" in zh


@pytest.mark.now("2026-09-30 17:00")  # the eve of National Day (Oct 1–7 off in 2026)
def test_a_due_time_after_a_holiday_names_it(three_days, opened, client, agent_li):
    ticket = opened()
    client.force_login(agent_li)
    zh = _row(_panel(client, ticket, "zh-hans"), Metric.FIRST_RESPONSE)
    assert "星期四 10:00 到期（国庆节之后）" in zh
    assert 'title="截止 2026-10-08 星期四 10:00"' in zh


@pytest.mark.now("2026-06-10 10:00")
def test_a_paused_timer_says_what_it_waits_for(three_days, opened, run, client, agent_li):
    ticket = opened()
    run(change_status, ticket, to="pending", by=agent_li)
    client.force_login(agent_li)
    page = _panel(client, ticket)
    assert "paused: waiting for the customer" in _row(page, Metric.RESOLUTION)
    assert "paused: waiting for the customer" in _row(page, Metric.FIRST_RESPONSE)
    assert "已暂停：等待客户回复" in _panel(client, ticket, "zh-hans")


def test_the_panel_counts_down_with_a_static_script(
    three_days, opened, client, agent_li, agent_tech, team_aftersales
):
    ticket = opened(team_id=team_aftersales.pk)
    client.force_login(agent_li)
    page = _panel(client, ticket)
    panel = re.search(r"<div[^>]*data-testid=\"sla-panel\"[^>]*>", page).group(0)
    url = reverse("sla:ticket_panel", args=[ticket.pk])
    assert f'data-sla-refresh-url="{url}"' in panel and 'data-sla-every="60"' in panel
    assert 'data-measure="business"' in page and "data-due=" in page
    assert "/static/sla/countdown.js" in page
    assert not NO_INLINE_SCRIPT.search(_row(page, Metric.RESOLUTION))
    source = Path(finders.find("sla/countdown.js")).read_text(encoding="utf-8")
    assert "data-sla-refresh-url" in source and "data-sla-every" in source
    # The fragment the script fetches: the same panel, for those who may see the ticket only.
    fragment = client.get(url)
    assert fragment.status_code == 200 and 'data-testid="sla-panel"' in fragment.content.decode()
    client.force_login(agent_tech)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_the_countdown_script_is_served(client, agent_li):
    from django.contrib.staticfiles.storage import staticfiles_storage

    client.force_login(agent_li)
    answer = client.get(staticfiles_storage.url("sla/countdown.js"))
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert b"data-sla-refresh-url" in body


def test_targets_of_a_policy_read_in_its_calendar(db, client, lead_zhao):
    from kefu.sla.services import save_calendar

    short = save_calendar(by=None, name="半天", weekly=[[["09:00", "13:00"]]] * 5 + [[], []])
    save_policy(by=None, name="半天班", calendar=short, targets=[TargetSpec(Metric.RESOLUTION, 2 * 4 * 3600)])
    client.force_login(lead_zhao)
    page = client.get(reverse("sla:home"), headers={"Accept-Language": "en"}).content.decode()
    assert "2 working days*" in page
