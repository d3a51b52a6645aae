"""The rule lists speak the agents' words (issue 14 item 4): 设置优先级 for `set_priority`,
3 天 for 4320 minutes; in the admin too."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kefu.automation import demo
from kefu.automation.display import action_label, duration


@pytest.mark.parametrize(
    ("minutes", "zh", "en"),
    [
        (4320, "3 天", "3 days"),
        (10080, "7 天", "7 days"),
        (1500, "1 天 1 小时", "1 day 1 hour"),
        (90, "1 小时 30 分钟", "1 hour 30 minutes"),
        (10, "10 分钟", "10 minutes"),
        (0, "0 分钟", "0 minutes"),
    ],
)
def test_durations_in_days_and_hours(minutes, zh, en):
    with translation.override("zh-hans"):
        assert duration(minutes) == zh
    with translation.override("en"):
        assert duration(minutes) == en


def test_actions_by_their_label():
    with translation.override("zh-hans"):
        assert action_label({"type": "set_priority", "value": "high"}) == "设置优先级"
        assert action_label("add_tags") == "添加标签"
        assert action_label("share") == "共享给部门"
        assert action_label("no_such_action") == "no_such_action"  # shown, not hidden
    with translation.override("en"):
        assert action_label("set_priority") == "Set priority"


@pytest.fixture
def demo_rules(admin_user, team_aftersales):
    demo.load_config()


def test_time_rules_list_shows_days_and_action_labels(client, lead_zhao, demo_rules):
    client.force_login(lead_zhao)
    html = client.get(reverse("automation:rules", args=["time_rule"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    page = html.decode()
    assert "3 天" in page and "7 天" in page
    assert "4320" not in page.replace('title="4320 分钟"', "")
    assert ">set_status<" not in page and ">设置状态<" in page
    triggers = client.get(reverse("automation:rules", args=["trigger"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert ">set_priority<" not in triggers.content.decode() and ">设置优先级<" in triggers.content.decode()


def test_admin_lists_show_days_and_action_labels(client, admin_user, demo_rules):
    client.force_login(admin_user)
    page = client.get("/admin/automation/timerule/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "3 天" in page and ">4320<" not in page
    assert "设置状态" in page
