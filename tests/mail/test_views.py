"""Staff pages: the failed-mail view with re-process, the original mail, the ticket panel."""

from __future__ import annotations

import html
import re

import pytest

from kefu.mail.inbound import ingest
from kefu.mail.models import Decision, InboundMail, MailState
from kefu.tickets.models import Ticket

from .mails import raw_mail

pytestmark = pytest.mark.django_db


@pytest.mark.fault("E6")
def test_failed_mail_view_and_reprocess_after_a_fix(client, mailbox, lead_zhao, agent_li):
    mailbox.max_message_bytes = 2000
    mailbox.save()
    outcome = ingest(raw_mail(body="很长的邮件" * 200), mailbox=mailbox, source="t")
    assert outcome.decision == Decision.QUARANTINED
    mail = InboundMail.objects.get()
    client.force_login(agent_li)
    assert client.get("/agent/mail/failed/").status_code == 404  # agents do not manage mail
    client.force_login(lead_zhao)
    page = client.get("/agent/mail/failed/").content.decode()
    assert f'data-testid="failed-{mail.pk}"' in page and "too large" in page
    mailbox.max_message_bytes = 10 * 1024 * 1024  # the fix
    mailbox.save()
    response = client.post(f"/agent/mail/mails/{mail.pk}/reprocess/")
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.state == MailState.PROCESSED and Ticket.objects.count() == 1
    assert (
        client.post(f"/agent/mail/mails/{mail.pk}/reprocess/").status_code == 302
    )  # twice: no second ticket
    assert Ticket.objects.count() == 1


@pytest.mark.fault("E9", "A2", "F1", "F2")
def test_original_mail_blocks_remote_images_until_asked_and_is_access_checked(
    client, mailbox, agent_li, agent_tech
):
    raw = (
        b"From: a@example.cn\r\nTo: service@yunshan.example\r\nSubject: =?utf-8?B?5Zu+54mH?=\r\nMessage-ID: <img@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>\xe7\x9c\x8b\xe5\x9b\xbe</p><img src="https://tracker.example/p.gif"><script>alert(1)</script>'
    )
    ingest(raw, mailbox=mailbox, source="t")
    mail = InboundMail.objects.get()
    ticket = Ticket.objects.get()
    assert "tracker.example" not in ticket.messages.get().body_html
    client.force_login(agent_li)
    page = client.get(f"/agent/mail/mails/{mail.pk}/").content.decode()
    assert (
        "tracker.example" not in page and 'data-testid="show-images"' in page and "<script>alert" not in page
    )
    page = client.get(f"/agent/mail/mails/{mail.pk}/?images=1").content.decode()
    assert 'src="https://tracker.example/p.gif"' in page
    raw_response = client.get(f"/agent/mail/mails/{mail.pk}/raw/")
    assert raw_response["Content-Disposition"].startswith("attachment") and bytes(raw_response.content) == raw
    panel = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="mail-panel"' in panel and f"/agent/mail/mails/{mail.pk}/" in panel
    client.force_login(agent_tech)  # another team: the ticket is not theirs → the same 404
    assert client.get(f"/agent/mail/mails/{mail.pk}/").status_code == 404
    assert client.get(f"/agent/mail/mails/{mail.pk}/raw/").status_code == 404


def test_demo_mailbox_is_idempotent(team_aftersales):
    from kefu.mail.demo import DEMO_ADDRESS, load_config
    from kefu.mail.models import Mailbox

    load_config()
    load_config()
    box = Mailbox.objects.get()
    assert box.address == DEMO_ADDRESS and box.team == team_aftersales and box.processed_action == "keep"
    assert "{number}" in box.auto_reply_body_zh and "{expected}" in box.auto_reply_body_en


def test_demo_mailbox_gives_the_one_hotline(team_aftersales, customer_x, make_ticket, settings):
    """Issue 14 item 9: the demo's auto-reply said 400-820-1234, everything else KEFU_HOTLINE."""
    from kefu.mail.demo import OLD_DEMO_HOTLINE, load_config
    from kefu.mail.models import Mailbox
    from kefu.mail.outbound import queue_auto_reply

    settings.KEFU_HOTLINE = "400-800-1234"
    load_config()
    box = Mailbox.objects.get()
    assert box.hotline == ""  # follows the setting
    outbox = queue_auto_reply(make_ticket(customer_x, subject="发票抬头"), mailbox=box)
    assert (
        outbox is not None and "400-800-1234" in outbox.body_text and OLD_DEMO_HOTLINE not in outbox.body_text
    )
    Mailbox.objects.update(hotline=OLD_DEMO_HOTLINE)  # a database from an older demo
    load_config()
    assert Mailbox.objects.get().hotline == ""


def test_admin_adds_a_mailbox_with_an_encrypted_password(client, admin_user, team_aftersales):
    from kefu.mail.models import Mailbox
    from kefu.mail.secrets import imap_password

    client.force_login(admin_user)
    assert client.get("/admin/mail/mailbox/add/").status_code == 200
    data = {
        "name": "售前",
        "address": "presales@yunshan.example",
        "active": "on",
        "team": team_aftersales.pk,
        "default_type": "consultation",
        "closed_reply": "reopen",
        "imap_host": "imap.yunshan.example",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_user": "presales",
        "new_password": "s3cret-imap",
        "imap_folder": "INBOX",
        "processed_action": "move",
        "processed_folder": "kefu",
        "auto_reply": "on",
        "expected_time": "24–48 小时",
        "hotline": "400-820-1234",
        "auto_reply_subject_zh": "已收到 [#{number}]",
        "auto_reply_body_zh": "工单 {number}",
        "auto_reply_subject_en": "Received [#{number}]",
        "auto_reply_body_en": "Ticket {number}",
        "max_message_bytes": 26214400,
    }
    response = client.post("/admin/mail/mailbox/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get(address="presales@yunshan.example")
    assert "s3cret-imap" not in box.imap_password_encrypted and imap_password(box) == "s3cret-imap"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


@pytest.mark.fault("E9")
def test_show_remote_images_lets_this_page_load_them_and_nothing_else(client, mailbox, agent_li):
    """The button used to do nothing: the page's CSP blocked the images it let through (issue 13)."""
    raw = (
        b"From: a@example.cn\r\nTo: service@yunshan.example\r\nSubject: newsletter\r\nMessage-ID: <nl@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>promo</p><img src="https://cdn.example/banner.png"><img src="http://img.example/a.gif">'
        b"<script>alert(1)</script>"
    )
    ingest(raw, mailbox=mailbox, source="t")
    mail = InboundMail.objects.get()
    client.force_login(agent_li)

    blocked = client.get(f"/agent/mail/mails/{mail.pk}/")
    policy = _policy(blocked)
    assert not {"https:", "http:", "*"} & set(policy["img-src"])  # remote images stay blocked
    assert "cdn.example" not in blocked.content.decode()

    button = re.search(r'href="([^"]+)" data-testid="show-images"', blocked.content.decode()).group(1)
    shown = client.get(f"/agent/mail/mails/{mail.pk}/" + html.unescape(button))
    page = shown.content.decode()
    assert 'src="https://cdn.example/banner.png"' in page and 'src="http://img.example/a.gif"' in page
    policy = _policy(shown)
    assert {"https:", "http:"} <= set(policy["img-src"])  # what the button asked for
    assert policy["script-src"] == ["'self'"] and "<script>alert" not in page  # still no script
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert shown["Referrer-Policy"] == "no-referrer"  # the sender does not learn the agent's page

    # only that response: the next page, and the same mail without asking, block them again
    assert not {"https:", "http:"} & set(_policy(client.get(f"/agent/mail/mails/{mail.pk}/"))["img-src"])
    assert not {"https:", "http:"} & set(_policy(client.get("/agent/"))["img-src"])
