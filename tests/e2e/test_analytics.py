"""Issue 17 item 3 in Chromium: a supervisor opens the dashboards, goes from a chart point to the
tickets behind it (by keyboard on the chart, and by the link in its table), and watches the
wallboard move without a reload when a ticket arrives."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, login, shoot

pytestmark = pytest.mark.e2e

WAIT = 15_000
# A ticket arriving through the intake pipeline, as a channel delivers it (run like setup_data).
ARRIVE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
import django
django.setup()
from kefu.intake.services import InboundMessage, receive
receive(InboundMessage(channel="chat", external_id="e2e-wallboard-1", from_email="wallboard@example.cn",
        from_name="大屏测试", subject="大屏：新来的咨询", body_text="请问今天能发货吗？"))
"""


def test_overview_point_leads_to_its_tickets(server, new_page):
    page = new_page()
    login(page, server, "lead_zhao")
    page.goto(server + "/agent/analytics/?period=7d")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("服务总览")
    volume = page.locator("[data-testid=chart-volume] [data-analytics-chart]")
    expect(volume.locator("svg")).to_be_visible(timeout=WAIT)  # ECharts drew it
    expect(page.get_by_test_id("figure-tickets_created")).to_contain_text("新建工单数")
    shoot(page, "analytics-overview-1366-zh")

    # From the keyboard: focus the chart, the last point (today, when the queue's tickets came in), Enter.
    volume.focus()
    page.keyboard.press("End")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "drill=tickets_created" in page.url and "drill_by=channel" in page.url
    banner = page.get_by_test_id("drill-banner")
    expect(banner).to_contain_text("新建工单数")
    rows = page.locator("[data-kefu-row]")
    assert rows.count() >= 1
    shoot(page, "analytics-drill-1366-zh")
    page.go_back()

    # The same point from the chart's table: its number is the count of the list it opens.
    table = page.get_by_test_id("chart-table-flow")
    page.locator("[data-testid=chart-flow] summary").click()
    link = table.locator("a[data-drill]").last
    expect(link).to_be_visible()
    count = int(link.inner_text())
    with page.expect_navigation():
        link.click()
    expect(page.get_by_test_id("drill-banner")).to_contain_text(f"{count} 张工单")
    assert page.locator("[data-kefu-row]").count() == count


def test_overview_in_english_and_agents_own_view(server, new_page):
    page = new_page("en-US")
    login(page, server, "lead_zhao")
    page.goto(server + "/agent/analytics/?period=30d")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Service overview")
    expect(page.locator("[data-testid=chart-categories] svg")).to_be_visible(timeout=WAIT)
    shoot(page, "analytics-overview-1366-en")
    agent = new_page()
    login(agent, server, "agent_li")
    agent.goto(server + "/agent/analytics/")
    expect(agent.get_by_test_id("dashboard-title")).to_have_text("我的指标")
    expect(agent.locator("[data-testid=chart-solved] svg")).to_be_visible(timeout=WAIT)
    shoot(agent, "analytics-agent-1366-zh")


def test_wallboard_moves_when_a_ticket_arrives(server, data_dir, new_page):
    page = new_page()
    login(page, server, "lead_zhao")
    page.goto(server + "/agent/analytics/wallboard/")
    waiting = page.get_by_test_id("wb-waiting")
    created = page.get_by_test_id("wb-created")
    expect(waiting).to_be_visible()
    before_waiting, before_created = int(waiting.inner_text()), int(created.inner_text())
    page.evaluate("window.__wallboardSamePage = true")  # gone if the page were reloaded
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LANGUAGE": "zh-hans"}
    env.pop("KEFU_DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", ARRIVE], env=env, check=True, cwd=ROOT)
    expect(waiting).to_have_text(str(before_waiting + 1), timeout=WAIT)
    expect(created).to_have_text(str(before_created + 1))
    assert page.evaluate("window.__wallboardSamePage === true")
    expect(page.locator("[data-testid=wb-queue]", has_text="未分派")).to_be_visible()
    shoot(page, "wallboard-1366-zh", full_page=False)
