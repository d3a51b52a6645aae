"""Issue 14 item 3 in Chromium: the SLA panel of a ticket counts down without a reload.

static/sla/countdown.js re-fetches the panel through htmx every minute (the server computes the
time left, business time included); the resolution timer of the demo's complaint runs in calendar
time (24 h), so its minutes go down between two fetches whatever the hour the suite runs at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

WAIT = 10_000
REFRESH_WAIT = 80_000  # ms: the panel is fetched again every 60 s


def test_the_sla_panel_counts_down_without_a_reload(server, new_page):
    page = new_page()
    login(page, server, "agent_li")
    page.goto(server + "/agent/search/?q=" + "回电")
    page.locator("a", has_text="客服承诺的回电一直没有打来").first.click()
    panel = page.locator("[data-testid=sla-panel]")
    expect(panel).to_be_visible(timeout=WAIT)
    assert panel.get_attribute("data-sla-refresh-url")
    row = page.locator("[data-testid=sla-timer][data-metric=resolution][data-measure=calendar]")
    left = row.locator("[data-testid=sla-left]")
    expect(left).to_contain_text("剩余", timeout=WAIT)
    assert (left.get_attribute("title") or "").startswith("截止 ")
    before = left.inner_text()
    page.evaluate("window.__slaSamePage = true")  # gone if the page were reloaded
    expect(left).not_to_have_text(before, timeout=REFRESH_WAIT)
    assert page.evaluate("window.__slaSamePage === true")
    expect(left).to_contain_text("剩余")
