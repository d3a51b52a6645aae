"""The operation around the queue, in Chromium: the help centre answers a customer, and on the
ticket page an agent sees the SLA countdown, suggested articles and canned replies and uses them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, shoot

pytestmark = pytest.mark.e2e

WAIT = 10_000


def test_a_customer_finds_the_answer_in_the_help_centre(server, new_page):
    page = new_page()
    page.goto(server + "/help/")
    page.fill("[data-testid=help-search]", "退款多久能到账")
    page.keyboard.press("Enter")
    first = page.locator("[data-testid=help-results] a").first
    expect(first).to_contain_text("退款", timeout=WAIT)
    shoot(page, "help-centre-search")
    first.click()
    expect(page.locator("[data-testid=help-article]")).to_contain_text("退款", timeout=WAIT)
    page.click("[data-testid=helpful-yes]")
    expect(page.locator("[data-testid=help-thanks]")).to_be_visible(timeout=WAIT)


def test_the_help_centre_bot_answers_follows_up_and_hands_off_to_a_ticket(server, new_page):
    page = new_page()
    login(page, server, "customer_x")
    page.goto(server + "/help/")
    page.fill("[data-testid=bot-question]", "退款多久能到账？")
    page.keyboard.press("Enter")  # keyboard only: the box empties and keeps the focus for the next one
    first = page.locator("[data-testid=bot-turn]").first
    expect(first).to_have_attribute("data-decision", "answer", timeout=WAIT)
    expect(first.locator("[data-testid=bot-answer]")).to_contain_text("原路退回")
    expect(page.locator("[data-testid=bot-question]")).to_have_value("")
    expect(page.locator("[data-testid=bot-question]")).to_be_focused()
    first.locator("[data-testid=bot-unhelpful]").click()
    expect(page.locator("[data-testid=bot-feedback-done]")).to_contain_text("抱歉", timeout=WAIT)
    page.locator("[data-testid=bot-feedback-done] [data-testid=bot-human]").click()
    ticket = page.locator("[data-testid=bot-ticket]")
    expect(ticket).to_contain_text("KF-", timeout=WAIT)
    shoot(page, "help-centre-bot")
    ticket.locator("a").click()
    # the ticket carries the transcript for the person who takes over
    expect(page.locator("body")).to_contain_text("退款多久能到账", timeout=WAIT)


def test_traditional_characters_find_the_simplified_article(server, new_page):
    page = new_page()
    page.goto(server + "/help/?q=" + "退款多久到帳")
    expect(page.locator("[data-testid=help-results] a").first).to_contain_text("退款", timeout=WAIT)


def test_the_agent_sees_the_sla_and_inserts_an_article_and_a_canned_reply(server, new_page):
    page = new_page()
    login(page, server, "agent_li")
    page.goto(server + "/agent/search/?q=" + "电饭煲")
    page.locator("a", has_text="电饭煲内胆有划痕").first.click()
    expect(page.locator("[data-testid=sla-panel]")).to_be_visible(timeout=WAIT)
    timers = page.locator("[data-testid=sla-timer]")
    expect(timers.first).to_contain_text("响应", timeout=WAIT)
    expect(page.locator("[data-testid=kb-suggestions]")).to_be_visible()

    insert = page.locator("[data-kb-insert]").first
    answer = insert.get_attribute("data-kb-insert")
    insert.click()
    assert answer and answer[:10] in page.input_value("#reply-body")

    page.keyboard.press("Alt+c")  # the canned-reply picker, by keyboard
    page.keyboard.press("Control+a")
    page.keyboard.type("道歉")
    picked = page.locator("[data-kefu-canned-insert]").first
    expect(picked).to_contain_text("道歉", timeout=WAIT)  # the list is filtered as one types
    picked.click()
    assert "深表歉意" in page.input_value("#reply-body")  # 道歉安抚, filled in for this customer
    shoot(page, "agent-ticket-assist")


def test_the_canned_reply_picker_works_with_the_keyboard_alone(server, new_page):
    """Alt+C opens the picker, typing filters, ↓ and Enter insert at the cursor with the customer's
    name filled in, and the focus is back in the reply box to go on typing."""
    page = new_page()
    login(page, server, "agent_li")
    page.goto(server + "/agent/search/?q=" + "物流查询")
    page.locator("a", has_text="订单三天没有更新").first.click()
    page.fill("#reply-body", "开头。")
    page.keyboard.press("Alt+c")
    page.keyboard.type("物流查询")
    expect(page.locator("[data-kefu-canned-insert]")).to_have_count(1, timeout=WAIT)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    body = page.input_value("#reply-body")
    assert body.startswith("开头。陈静 您好，已为您查询物流")
    assert "{{" not in body
    expect(page.locator("#reply-body")).to_be_focused()
    page.keyboard.type("再见。")
    assert page.input_value("#reply-body").endswith("再见。")


def test_a_supervisor_builds_a_trigger_from_rows_with_the_keyboard(server, new_page):
    """The rule editor under the real CSP: Alt+N adds a row, the operator list follows the field,
    a refused row shows its reason in place, and the saved trigger is stored as rules."""
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, server, "lead_zhao")
    page.goto(server + "/agent/automation/trigger/new/")
    page.fill("#r-name", "投诉升级 e2e")
    conditions = page.locator("[data-testid=condition-rows] [data-kefu-row-list] > [data-kefu-row]")
    first = conditions.first
    first.locator("[data-kefu-field]").select_option("ticket.subject")
    # A text field offers text operators only; "in" belongs to choice fields.
    assert first.locator("[data-kefu-op] option[value=in]").get_attribute("hidden") is not None
    first.locator("[data-kefu-op]").select_option("contains")
    first.locator("[data-kefu-value]").fill("投诉")
    first.locator("[data-kefu-value]").focus()
    page.keyboard.press("Alt+n")  # a second condition row, focused
    expect(conditions).to_have_count(2, timeout=WAIT)
    second = conditions.nth(1)
    expect(second.locator("select").first).to_be_focused()
    second.locator("[data-kefu-field]").select_option("ticket.priority")
    second.locator("[data-kefu-op]").select_option("eq")
    second.locator("[data-kefu-value]").fill("紧急不存在")  # not a priority: refused on its row
    action = page.locator("[data-testid=action-rows] [data-kefu-row-list] > [data-kefu-row]").first
    action.locator("[data-kefu-action]").select_option("add_tags")
    action.locator("[data-kefu-value]").fill("投诉")
    page.click("[data-testid=rule-form] button[type=submit]")
    expect(page.locator("[data-testid=row-error]")).to_have_count(1, timeout=WAIT)
    assert page.locator("[data-testid=condition-rows] [data-testid=row-with-error]").count() == 1
    assert page.locator("#r-name").input_value() == "投诉升级 e2e"  # what was typed is kept
    shoot(page, "automation-rule-editor")

    fixed = page.locator("[data-testid=row-with-error] [data-kefu-value]")
    fixed.fill("urgent")
    page.click("[data-testid=rule-form] button[type=submit]")
    page.goto(server + "/agent/automation/trigger/")
    expect(page.locator("body")).to_contain_text("投诉升级 e2e", timeout=WAIT)
    assert errors == []


def test_the_gap_report_charts_what_the_bot_did(server, new_page):
    visitor = new_page()
    visitor.goto(server + "/help/")
    for question in ("怎么开发票", "你们卖二手手机吗"):
        visitor.fill("[data-testid=bot-question]", question)
        visitor.keyboard.press("Enter")
        expect(visitor.locator("[data-testid=bot-turn]").last).to_contain_text(question, timeout=WAIT)
    page = new_page()
    login(page, server, "lead_zhao")
    page.goto(server + "/agent/kb/gaps/")
    expect(page.get_by_test_id("bot-summary")).to_contain_text("自助解决率", timeout=WAIT)
    # the chart is drawn in the browser from the page's JSON, under the no-inline-script CSP
    expect(page.locator("[data-kefu-chart] svg rect").first).to_be_attached(timeout=WAIT)
    shoot(page, "kb-gap-report")


def test_an_agent_switches_presence_from_the_top_bar(server, new_page):
    page = new_page()
    login(page, server, "agent_wang")
    page.goto(server + "/agent/")
    switch = page.get_by_test_id("my-presence").locator("select")
    expect(switch).to_have_value("online", timeout=WAIT)
    switch.select_option("away")  # the select submits itself; the page comes back on the same view
    expect(page.get_by_test_id("my-presence").locator("select")).to_have_value("away", timeout=WAIT)
    page.reload()
    expect(page.get_by_test_id("my-presence").locator("select")).to_have_value("away")
    page.get_by_test_id("my-presence").locator("select").select_option("online")
    expect(page.get_by_test_id("my-presence").locator("select")).to_have_value("online", timeout=WAIT)
