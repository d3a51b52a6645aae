"""The main journeys of issue 2, clicked through in Chromium against a real kefu server.

Every test makes its own tickets with a unique order number in the subject, so the tests share
the session server but not their data, and run in any order. Screenshots of the main pages land
in docs/screenshots/ (zh-Hans) as a by-product.
"""

from __future__ import annotations

import gettext
import re
import secrets
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, login, mail_link, shoot

pytestmark = pytest.mark.e2e

WAIT = 10_000  # ms: page loads and form posts
HEARTBEAT_WAIT = 15_000  # ms: presence is polled every 10 s


def order_number() -> str:
    return f"2026{secrets.randbelow(10**8):08d}"


def tiny_png(path: Path) -> Path:
    """A valid 8×8 PNG (a real image, not a renamed text file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x6b\xc4" * 8 for _ in range(8))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def ticket_id(url: str) -> str:
    match = re.search(r"/tickets/(\d+)/", url)
    assert match, url
    return match.group(1)


# --------------------------------------------------------------------------- the main journey


@pytest.mark.fault("D1")
def test_request_reply_and_stale_edit(server, new_page, tmp_path):
    """Customer → portal request with a file; 李娜 takes and answers it; 王芳's stale edit is refused."""
    order = order_number()
    subject = f"蓝牙耳机左耳没有声音，申请换货（订单 {order}）"
    reply_text = f"您好，已为您登记换货（订单 {order}），新耳机明天发出，请留意顺丰短信。"
    note_text = f"内部：仓库确认库存充足，订单 {order} 走加急。"

    # 1. The customer logs in with their email and sends a request with a screenshot attached.
    customer = new_page()
    login(customer, server, "xiaoming@example.cn")
    customer.goto(f"{server}/portal/new/")
    customer.fill("#id_subject", subject)
    customer.select_option("#id_type", "after_sales")
    customer.fill("#id_description", f"订单 {order}：耳机收到第二天左耳就没有声音了，重新配对也不行。")
    customer.set_input_files("#id_attachments", str(tiny_png(tmp_path / "耳机照片.png")))
    shoot(customer, "portal-new-request")
    customer.click("[data-testid=new-request] button[type=submit]")
    expect(customer.get_by_test_id("ticket-subject")).to_have_text(subject, timeout=WAIT)
    expect(customer.get_by_text("耳机照片.png")).to_be_visible()
    pk = ticket_id(customer.url)

    customer.goto(f"{server}/portal/")
    expect(customer.get_by_test_id("my-requests").get_by_text(subject)).to_be_visible()
    shoot(customer, "portal-my-requests")

    # 王芳 has the ticket open before 李娜 changes it (a second browser, a second agent).
    wang = new_page()
    login(wang, server, "agent_wang")
    wang.goto(f"{server}/agent/tickets/{pk}/")
    expect(wang.get_by_test_id("ticket-subject")).to_have_text(subject)

    # 2. 李娜 finds it in the unassigned view, opens it, takes it with `a`, replies and adds a note.
    li = new_page()
    login(li, server, "agent_li")
    li.goto(f"{server}/agent/?view=unassigned")
    row = li.get_by_test_id("queue-table").locator("tr", has_text=subject)
    expect(row).to_be_visible()
    shoot(li, "agent-queue")
    row.get_by_role("link", name=subject).click()
    expect(li.get_by_test_id("ticket-subject")).to_have_text(subject, timeout=WAIT)
    # Collision: 王芳's page view already counts, so 李娜 sees her at once.
    expect(li.get_by_test_id("presence")).to_contain_text("王芳")

    with li.expect_navigation():
        li.keyboard.press("a")
    expect(li.locator("[data-kefu-assign-me]")).to_have_count(0)  # it is hers now
    expect(li.locator("#f-assignee option:checked")).to_have_text("李娜")

    li.keyboard.press("r")
    expect(li.locator("#reply-body")).to_be_focused()
    li.keyboard.type(reply_text)
    li.get_by_test_id("reply-form").locator("button[type=submit]").click()
    expect(li.get_by_test_id("timeline")).to_contain_text(reply_text, timeout=WAIT)

    li.keyboard.press("n")
    expect(li.locator("#note-body")).to_be_focused()
    li.keyboard.type(note_text)
    li.get_by_test_id("note-form").locator("button[type=submit]").click()
    expect(li.locator("[data-kind=internal]", has_text=note_text)).to_be_visible(timeout=WAIT)
    expect(li.get_by_test_id("timeline").get_by_text("耳机照片.png")).to_be_visible()

    # 3. The customer reloads: the reply is there, the internal note is not.
    customer.goto(f"{server}/portal/tickets/{pk}/")
    conversation = customer.get_by_test_id("conversation")
    expect(conversation).to_contain_text(reply_text)
    expect(conversation).to_contain_text("李娜")
    expect(customer.get_by_text(note_text)).to_have_count(0)
    expect(customer.locator("body")).not_to_contain_text("仓库确认库存")
    shoot(customer, "portal-ticket")

    # Presence the other way round: 王芳's page learns about 李娜 through its heartbeat.
    expect(wang.get_by_test_id("presence")).to_contain_text("李娜", timeout=HEARTBEAT_WAIT)

    # 4. 王芳 saves the form she loaded before 李娜's changes: refused, with who changed it.
    wang.select_option("#f-priority", "urgent")
    wang.select_option("#f-assignee", label="王芳")
    wang.get_by_test_id("properties-form").locator("button[type=submit]").click()
    banner = wang.get_by_test_id("conflict-banner")
    expect(banner).to_be_visible(timeout=WAIT)
    expect(banner).to_contain_text("李娜")
    shoot(wang, "agent-ticket-conflict")
    # Nothing was overwritten: still 李娜's ticket at normal priority.
    wang.locator("[data-testid=conflict-banner] a").click()
    expect(wang.get_by_test_id("conflict-banner")).to_have_count(0)
    expect(wang.locator("#f-assignee option:checked")).to_have_text("李娜")
    expect(wang.locator("#f-priority option:checked")).to_have_attribute("value", "normal")

    li.goto(f"{server}/agent/tickets/{pk}/")
    expect(li.get_by_test_id("presence")).to_contain_text("王芳")
    shoot(li, "agent-ticket")


# --------------------------------------------------------------------------- keyboard and search


def test_queue_keyboard_and_search(server, new_page):
    li = new_page()
    login(li, server, "agent_li")
    li.goto(f"{server}/agent/?view=all")
    rows = li.locator("[data-kefu-row]")
    expect(rows.nth(2)).to_be_visible()

    li.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bkefu-selected\b"))
    li.keyboard.press("j")
    li.keyboard.press("j")
    expect(rows.nth(2)).to_have_class(re.compile(r"\bkefu-selected\b"))
    li.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bkefu-selected\b"))
    expect(li.locator(".kefu-selected")).to_have_count(1)
    target = rows.nth(1).get_attribute("data-href")
    subject = rows.nth(1).locator(".kefu-subject").inner_text()
    li.keyboard.press("Enter")
    expect(li).to_have_url(re.compile(re.escape(target) + "$"), timeout=WAIT)
    expect(li.get_by_test_id("ticket-subject")).to_have_text(subject)

    # `/` jumps to search; a Chinese word without spaces finds and highlights the ticket.
    li.keyboard.press("/")
    expect(li.locator("#kefu-search")).to_be_focused()
    li.keyboard.type("退货")
    li.keyboard.press("Enter")
    results = li.get_by_test_id("search-results")
    expect(results).to_contain_text("申请退货：收到的电饭煲内胆有划痕", timeout=WAIT)
    expect(results.locator("mark").first).to_have_text(re.compile("退货"))
    shoot(li, "agent-search")


# --------------------------------------------------------------------------- contact form


def test_contact_form_without_account(server, new_page, data_dir):
    order = order_number()
    subject = f"咨询：订单 {order} 可以开电子发票吗"
    address = f"zhou.{order}@example.cn"

    visitor = new_page()
    visitor.goto(f"{server}/contact/")
    visitor.fill("#id_name", "周杰")
    visitor.fill("#id_email", address)
    visitor.fill("#id_subject", subject)
    visitor.fill("#id_message", f"你好，订单 {order} 需要开电子普通发票，抬头是个人。")
    shoot(visitor, "contact-form")
    visitor.get_by_test_id("contact-form").locator("button[type=submit]").click()
    expect(visitor).to_have_url(re.compile(r"/contact/sent/"), timeout=WAIT)

    # The ticket exists for agents straight away.
    li = new_page()
    login(li, server, "agent_li")
    li.goto(f"{server}/agent/?view=unassigned")
    expect(li.get_by_test_id("queue-table").get_by_text(subject)).to_be_visible()

    # The customer follows the emailed link, confirms, and lands on their request.
    link = mail_link(data_dir, address, "/contact/confirm/")
    assert link.startswith(server), link
    visitor.goto(link)
    with visitor.expect_navigation():
        visitor.get_by_test_id("confirm").click()
    expect(visitor.get_by_test_id("ticket-subject")).to_have_text(subject, timeout=WAIT)
    expect(visitor.get_by_test_id("conversation")).to_contain_text("抬头是个人")
    visitor.goto(f"{server}/portal/")
    expect(visitor.get_by_test_id("my-requests")).to_contain_text(subject)

    # The link works once: a second confirmation is refused.
    anonymous = new_page()
    anonymous.goto(link)
    expect(anonymous.get_by_test_id("confirm")).to_have_count(0)


# --------------------------------------------------------------------------- language and other pages


def _zh(msgid: str) -> str | None:
    """The zh-Hans translation shipped in the package, or None while the catalog is missing."""
    mo = ROOT / "src" / "kefu" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    if not mo.exists():
        return None
    with mo.open("rb") as handle:
        text = gettext.GNUTranslations(handle).gettext(msgid)
    return text if text != msgid else None


def test_language_switch(server, new_page):
    page = new_page()
    page.goto(f"{server}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    heading = page.locator("h2")
    zh_heading = _zh("Log in to kefu")
    if zh_heading:
        expect(heading).to_have_text(zh_heading)
    shoot(page, "login")

    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Log in to kefu")
    expect(page.get_by_label("Username or email")).to_be_visible()

    # The choice sticks across pages and after logging in.
    login(page, server, "agent_li")
    page.goto(f"{server}/agent/?view=unassigned")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("view-title")).to_have_text("Unassigned")

    with page.expect_navigation():
        page.select_option("#language-form select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    zh_unassigned = _zh("Unassigned")
    if zh_unassigned:
        expect(page.get_by_test_id("view-title")).to_have_text(zh_unassigned)


def test_api_docs(server, new_page):
    page = new_page()
    page.goto(f"{server}/api/docs")
    expect(page.get_by_text("kefu API").first).to_be_visible(timeout=WAIT)
    expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT)
    shoot(page, "api-docs", full_page=False)
