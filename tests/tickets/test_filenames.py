"""File names as people send them (FAULTS F3, issue 13 item 8): shown and downloaded exactly —
Chinese, spaces, full-width punctuation — made safe only where they are dangerous, and never
used as the storage path, through every door that stores a file."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import unquote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kefu.core.filenames import clean_filename
from kefu.mail.inbound import ingest
from kefu.mail.models import Mailbox
from kefu.tickets import services
from kefu.tickets.models import Attachment, Ticket
from kefu.tickets.services import Upload

pytestmark = [pytest.mark.django_db, pytest.mark.fault("F3")]

CJK = "中文 文件名（发票）.pdf"
STORED = re.compile(r"^attachments/\d+/[0-9a-f]{16}/[0-9a-f]{64}(\.[a-z0-9]{1,10})?$")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@pytest.fixture
def ticket(customer_x, team_aftersales, make_ticket):
    return make_ticket(customer_x, subject="发票开错了", body="请重开发票。", team=team_aftersales)


def disposition_name(header: str) -> str:
    """The name a browser saves the download under: `filename*` (RFC 5987) when present."""
    star = re.search(r"filename\*=UTF-8''([^;]+)", header, re.IGNORECASE)
    if star:
        return unquote(star.group(1))
    return re.search(r'filename="([^"]*)"', header).group(1)


def ascii_fallback(header: str) -> str:
    return re.search(r'filename="([^"]*)"', header).group(1)


def download(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith("attachment;") and header.isascii()
    assert response["X-Content-Type-Options"] == "nosniff"
    return response, header


def assert_stored_under_a_key(attachment: Attachment, sent_name: str) -> None:
    path = attachment.file.name
    assert STORED.match(path), path
    stem = sent_name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    assert stem.lower() not in path.lower() or not stem.strip(" ._")
    assert default_storage.exists(path)


# --------------------------------------------------------------------------- the names of F3

HOSTILE = [
    # (sent, shown and downloaded as)
    (CJK, CJK),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\x", "x"),
    ("/var/www/html/shell.php", "shell.php"),
    ("C:\\Windows\\System32\\drivers\\etc\\hosts", "hosts"),
    ("invoice.pdf\x00.html", "invoice.pdf_.html"),
    ("报告\u202etxt.pdf", "报告_txt.pdf"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("LPT1.log", "_LPT1.log"),
    (
        "客户 张三 的 订单、发票与收据：2026年第一季度.xlsx",
        "客户 张三 的 订单、发票与收据：2026年第一季度.xlsx",
    ),
]


@pytest.mark.fault("F3")
@pytest.mark.parametrize(("sent", "shown"), HOSTILE, ids=[repr(s)[:24] for s, _ in HOSTILE])
def test_a_hostile_or_chinese_name_is_shown_and_downloaded_safely_and_never_stored(
    ticket, agent_li, sent, shown
):
    posted = services.reply(ticket, body="附件见下", by=agent_li, attachments=[Upload(sent, b"%PDF-1.4 1")])
    assert posted.rejected == []
    attachment = posted.message.attachments.get()
    assert attachment.filename == shown
    assert_stored_under_a_key(attachment, sent)

    li = Client()
    li.force_login(agent_li)
    assert shown in li.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    response, header = download(li, reverse("agent:attachment", args=[attachment.pk]))
    assert disposition_name(header) == shown
    assert b"".join(response.streaming_content) == b"%PDF-1.4 1"


@pytest.mark.fault("F3")
def test_the_chinese_name_downloads_exactly_with_an_ascii_fallback(ticket, agent_li, customer_x):
    posted = services.reply(ticket, body="发票", by=agent_li, attachments=[Upload(CJK, b"%PDF-1.4 cjk")])
    attachment = posted.message.attachments.get()
    for user, view in ((agent_li, "agent:attachment"), (customer_x.user, "portal:attachment")):
        client = Client()
        client.force_login(user)
        _response, header = download(client, reverse(view, args=[attachment.pk]))
        assert "filename*=UTF-8''%E4%B8%AD%E6%96%87%20%E6%96%87%E4%BB%B6%E5%90%8D%EF%BC%88" in header
        assert disposition_name(header) == CJK
        assert ascii_fallback(header) == "attachment.pdf"  # for clients that ignore filename*


@pytest.mark.fault("F3")
def test_a_right_to_left_override_cannot_disguise_an_executable(ticket, agent_li):
    posted = services.reply(
        ticket, body="照片", by=agent_li, attachments=[Upload("照片\u202egpj.exe", b"%PDF not really")]
    )
    assert not posted.message.attachments.exists()
    assert len(posted.rejected) == 1 and "照片_gpj.exe" in posted.rejected[0]
    assert not any(ch in posted.rejected[0] for ch in BIDI)


@pytest.mark.fault("F3")
def test_a_300_character_name_is_capped_keeping_its_start_and_extension(ticket, agent_li):
    sent = "很长的文件名" * 50 + ".pdf"
    posted = services.reply(ticket, body="长", by=agent_li, attachments=[Upload(sent, b"%PDF-1.4 long")])
    attachment = posted.message.attachments.get()
    assert len(attachment.filename) == 200
    assert attachment.filename.startswith("很长的文件名很长") and attachment.filename.endswith(".pdf")
    assert_stored_under_a_key(attachment, sent)


@pytest.mark.fault("F3")
@given(st.text(max_size=300))
def test_any_name_comes_out_safe_and_cleaning_twice_changes_nothing(name):
    clean = clean_filename(name)
    assert clean and len(clean) <= 200 and clean == clean_filename(clean)
    assert not any(ch in clean for ch in "/\\\x00" + BIDI)
    assert not any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in clean)
    assert clean not in {".", ".."} and not clean.startswith(" ") and not clean.endswith((" ", "."))


# --------------------------------------------------------------------------- every door


def _exact(attachment: Attachment, sent: str) -> None:
    assert attachment.filename == sent
    assert_stored_under_a_key(attachment, sent)


@pytest.mark.fault("F3")
def test_the_agent_reply_form_keeps_the_chinese_name(ticket, agent_li):
    li = Client()
    li.force_login(agent_li)
    sent = li.post(
        reverse("agent:reply", args=[ticket.pk]),
        {"body": "发票已重开。", "attachments": [SimpleUploadedFile(CJK, b"%PDF-1.4 agent")]},
    )
    assert sent.status_code == 302
    attachment = Attachment.objects.get(ticket=ticket)
    _exact(attachment, CJK)
    page = li.get(sent.url).content.decode()
    assert CJK in page


@pytest.mark.fault("F3")
def test_the_portal_request_and_reply_keep_the_chinese_name(customer_x):
    client = Client()
    client.force_login(customer_x.user)
    page = client.get(reverse("portal:new")).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    created = client.post(
        reverse("portal:new"),
        {
            "subject": "发票抬头错误",
            "description": "请帮我改一下发票抬头。",
            "type": "after_sales",
            "token": token,
            "attachments": [SimpleUploadedFile(CJK, b"%PDF-1.4 portal")],
        },
    )
    assert created.status_code == 302
    ticket = Ticket.objects.get(subject="发票抬头错误")
    _exact(ticket.attachments.get(), CJK)

    reply_name = "补充 材料（第2份）.pdf"
    replied = client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"body": "补充材料", "attachments": [SimpleUploadedFile(reply_name, b"%PDF-1.4 second")]},
    )
    assert replied.status_code == 302
    second = ticket.attachments.get(filename=reply_name)
    _exact(second, reply_name)
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert CJK in page and reply_name in page
    _response, header = download(client, reverse("portal:attachment", args=[second.pk]))
    assert disposition_name(header) == reply_name


@pytest.mark.fault("F3")
def test_the_contact_form_keeps_the_chinese_name(client):
    page = client.get(reverse("contact:form")).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    posted = client.post(
        reverse("contact:form"),
        {
            "name": "小新",
            "email": "newbie@example.cn",
            "subject": "发票没收到",
            "message": "附上订单截图。",
            "token": token,
            "attachments": [SimpleUploadedFile(CJK, b"%PDF-1.4 contact")],
        },
    )
    assert posted.status_code == 302
    _exact(Ticket.objects.get(subject="发票没收到").attachments.get(), CJK)


@pytest.mark.fault("F3")
def test_a_mailed_attachment_keeps_its_chinese_name(team_aftersales, lead_zhao):
    mailbox = Mailbox.objects.create(name="客服", address="service@yunshan.example", team=team_aftersales)
    mail = EmailMessage()
    mail["From"] = "王小明 <xiaoming@example.cn>"
    mail["To"] = "service@yunshan.example"
    mail["Subject"] = "发票"
    mail["Message-ID"] = "<fapiao@example.cn>"
    mail.set_content("发票见附件。")
    mail.add_attachment(b"%PDF-1.4 mail", maintype="application", subtype="pdf", filename=CJK)
    mail.add_attachment(b"text", maintype="text", subtype="plain", filename="../../etc/passwd")
    ingest(mail.as_bytes(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    _exact(ticket.attachments.get(filename=CJK), CJK)
    passwd = ticket.attachments.get(filename="passwd")
    assert_stored_under_a_key(passwd, "passwd")
    lead = Client()
    lead.force_login(lead_zhao)
    _response, header = download(lead, reverse("agent:attachment", args=[passwd.pk]))
    assert disposition_name(header) == "passwd"
