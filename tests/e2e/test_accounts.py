"""Signing up in Chromium: the address is proved by the mailed link before any history shows."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, mail_link, shoot

pytestmark = pytest.mark.e2e
WAIT = 10_000  # ms


def test_someone_who_wrote_before_signs_up_by_link_and_sees_their_request(server, new_page, data_dir):
    tag = secrets.token_hex(3)
    address = f"wu.{tag}@example.cn"
    subject = f"咨询：会员积分 {tag} 什么时候到账"

    # An earlier request through the contact form, never confirmed: no account yet.
    visitor = new_page()
    visitor.goto(f"{server}/contact/")
    visitor.fill("#id_name", "吴芳")
    visitor.fill("#id_email", address)
    visitor.fill("#id_subject", subject)
    visitor.fill("#id_message", "上周的订单积分还没到账，麻烦查一下。")
    visitor.get_by_test_id("contact-form").locator("button[type=submit]").click()
    expect(visitor).to_have_url(re.compile(r"/contact/sent/"), timeout=WAIT)

    # Someone types that address into the sign-up form: they learn nothing and get in nowhere.
    stranger = new_page()
    stranger.goto(f"{server}/portal/signup/")
    stranger.fill("#id_name", "陌生人")
    stranger.fill("#id_email", address)
    stranger.locator("form button[type=submit]").click()
    expect(stranger.get_by_test_id("signup-sent")).to_contain_text(address, timeout=WAIT)
    shoot(stranger, "portal-signup-sent")
    stranger.goto(f"{server}/portal/")
    expect(stranger.get_by_text(subject)).to_have_count(0)

    # The mailbox's owner opens the link, chooses the password, and finds the earlier request.
    link = mail_link(data_dir, address, "/portal/signup/confirm/")
    assert link.startswith(server), link
    visitor.goto(link)
    visitor.fill("#id_password", "jifen-2026-ok")
    visitor.fill("#id_repeat", "jifen-2026-ok")
    shoot(visitor, "portal-signup-password")
    with visitor.expect_navigation():
        visitor.get_by_test_id("finish-signup").click()
    expect(visitor.get_by_test_id("my-requests")).to_contain_text(subject, timeout=WAIT)

    # The same link cannot make a second account, and the password works on the login form.
    again = new_page()
    again.goto(link)
    expect(again.locator("[data-error-code=email_taken]")).to_be_visible()
    fresh = new_page()
    login(fresh, server, address, "jifen-2026-ok")
    expect(fresh.get_by_test_id("my-requests")).to_contain_text(subject, timeout=WAIT)
