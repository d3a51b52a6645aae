"""Customer 360 in Chromium at 1366 px in zh-Hans: an agent finds a customer of their team from the
top bar's 客户 menu, reads the 12-month figures of imported orders and the one timeline, and adds a
note from the keyboard; the page fits the screen. Screenshot: docs/screenshots/customer-360-1366-zh.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, login, shoot

pytestmark = pytest.mark.e2e

WAIT = 10_000  # ms


def test_an_agent_works_a_customer_360_page_from_the_keyboard(server, data_dir, new_page, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_email,amount,ordered_at\n"
        "E2E-360-1,customer0@example.cn,12800.00,2026-01-15 10:00\n"
        "E2E-360-2,customer0@example.cn,3999.50,2026-03-02 15:30\n"
        "E2E-360-3,customer0@example.cn,899.00,2026-05-20 09:10\n",
        encoding="utf-8",
    )
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LANGUAGE": "zh-hans"}
    for name in ("KEFU_DATABASE_URL", "KEFU_REDIS_URL", "KEFU_EMAIL_BACKEND"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "orders", "import", str(orders)], env=env, check=True, cwd=ROOT
    )

    page = new_page()
    login(page, server, "agent_li")
    page.goto(f"{server}/agent/")
    menu = page.locator("[data-nav-menu=customers] > a")
    menu.focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="客户列表").click()
    page.fill("#customer-q", "customer0@example.cn")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    row = page.get_by_test_id("customer-row").first
    expect(row).to_be_visible(timeout=WAIT)
    row.get_by_role("link").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_test_id("orders-12m")).to_have_text("3", timeout=WAIT)
    expect(page.get_by_test_id("spend-12m")).to_have_text(re.compile(r"¥17,?698\.50"))
    kinds = page.get_by_test_id("timeline-entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert {"ticket", "order"} <= set(kinds)
    assert page.get_by_test_id("order-row").count() == 3

    page.focus("#customer-note-body")
    page.keyboard.type("偏好电话联系，工作日下午方便")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("customer-note").first).to_contain_text("偏好电话联系", timeout=WAIT)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    shoot(page, "customer-360-1366-zh")
