"""A MIME part with a file name is a file the sender attached (issue 14 item 7).

Whatever its type and disposition — text/plain inline or with no Content-Disposition, a name in
RFC 2231 continuations, in an encoded word, in Chinese — it is kept as a downloadable attachment
under its decoded, cleaned name. A named text/plain part not marked "attachment" is also the body
when the mail has no other text. The shapes are those of the corpus check `benchmarks/mail_corpus.py`
(emails-rt/rfc2231-attachment-filename-continuations, emails-php-mime-mail-parser/m0014,
emails-cpython/msg_04.txt, emails-zbateson/m1016.txt, emails-mimekit/messages/missing-subtype.txt),
written here from scratch.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from kefu.mail.inbound import ingest
from kefu.mail.parsing import parse, parse_stored
from kefu.tickets.models import Attachment, Message

HEAD = (
    "From: 王小明 <xiaoming@example.cn>\r\nTo: service@yunshan.example\r\n"
    "Subject: =?utf-8?B?" + base64.b64encode("日志文件".encode()).decode() + "?=\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
)
NOTE = "订单 8899 的物流记录见附件。"
FILE_TEXT = "2026-11-20 10:00 已揽收\n2026-11-21 08:30 运输中\n"


def part(headers: str, body: str, *, charset: str = "utf-8") -> str:
    """One MIME part, its body base64-encoded."""
    return (
        headers
        + "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode(charset)).decode()
    )


def body_part(text: str = NOTE) -> str:
    return part("Content-Type: text/plain; charset=utf-8", text)


def mixed(*parts: str, message_id: str = "<named@example.cn>") -> bytes:
    boundary = "==kefu-named-parts=="
    out = HEAD + f'Message-ID: {message_id}\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    for item in parts:
        out += f"--{boundary}\r\n{item}\r\n"
    return (out + f"--{boundary}--\r\n").encode()


def only(parsed, name: str):
    found = [a for a in parsed.attachments if a.name == name]
    assert len(found) == 1, [a.name for a in parsed.attachments]
    return found[0]


# --------------------------------------------------------------------------- the parser


def test_inline_named_text_that_is_the_only_text_is_an_attachment_and_the_body():
    raw = mixed(
        part(
            'Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename="物流.txt"',
            FILE_TEXT,
        )
    )
    parsed = parse(raw)
    attachment = only(parsed, "物流.txt")
    assert attachment.content.decode() == FILE_TEXT and attachment.content_type == "text/plain"
    assert "运输中" in parsed.text  # the mail's only text: shown as its body too


def test_inline_named_text_next_to_the_mails_own_text_is_a_file_not_pasted_into_the_body():
    # emails-zbateson/m1016.txt, emails-cpython/msg_04.txt: a text part, then named inline files
    named = 'Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename="msg.txt"'
    parsed = parse(mixed(body_part(), part(named, FILE_TEXT), part(named, "第二份\n")))
    assert [a.name for a in parsed.attachments] == ["msg.txt", "msg-2.txt"]
    assert [a.content.decode() for a in parsed.attachments] == [FILE_TEXT, "第二份\n"]
    assert parsed.text == NOTE  # the files are downloads; the body is what the sender wrote


@pytest.mark.fault("E8", "F3")
@pytest.mark.parametrize("disposition", ["inline", "attachment", None])
def test_rfc2231_continuations_are_joined_and_decoded(disposition):
    # emails-rt/rfc2231-attachment-filename-continuations: an ISO-2022-JP name in four pieces,
    # some %-encoded (filename*0*=, filename*1*=) and one plain (filename*3=)
    def pieces(param: str) -> str:
        return (
            f"{param}*0*=ISO-2022-JP'ja'%1b$B%3f7$7$$%25F%25%2d%259%25H%1b%28B;\r\n"
            f" {param}*1*=%20;\r\n {param}*2*=%1b$B%25I%25%2d%25e%25a%25s%25H%1b%28B;\r\n {param}*3=.txt"
        )

    if disposition is None:  # the name only in Content-Type, no Content-Disposition at all
        headers = "Content-Type: text/plain; charset=utf-8;\r\n " + pieces("name")
    else:
        headers = (
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: {disposition};\r\n "
            + pieces("filename")
        )
    parsed = parse(mixed(body_part(), part(headers, FILE_TEXT)))
    assert only(parsed, "新しいテキスト ドキュメント.txt").content.decode() == FILE_TEXT
    assert parsed.text == NOTE


@pytest.mark.fault("F3")
def test_chinese_rfc2231_name_split_in_continuations():
    headers = (
        "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline;\r\n"
        " filename*0*=UTF-8''%E7%89%A9%E6%B5%81; filename*1*=%E8%AE%B0%E5%BD%95.txt"
    )
    parsed = parse(mixed(body_part(), part(headers, FILE_TEXT)))
    assert only(parsed, "物流记录.txt").content.decode() == FILE_TEXT


@pytest.mark.fault("E8", "F3")
def test_encoded_word_name_in_content_type_and_disposition():
    # emails-php-mime-mail-parser/m0014, emails-zbateson/m1015.txt
    word = "=?iso-8859-1?Q?HasenundFr=F6sche=2Etxt?="
    headers = (
        f'Content-Type: text/plain; charset=iso-8859-1;\r\n name="{word}"\r\n'
        f'Content-Disposition: inline;\r\n filename="{word}"'
    )
    fable = "Die Hasen und die Frösche\n"
    parsed = parse(mixed(part(headers, fable, charset="latin-1")))
    assert only(parsed, "HasenundFrösche.txt").content == fable.encode("latin-1")
    assert "Frösche" in parsed.text  # its only text


@pytest.mark.fault("F3")
@pytest.mark.parametrize(
    "headers",
    [
        "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename*=UTF-8''%E5%8F%91%E7%A5%A8.txt",
        "Content-Type: text/plain; charset=utf-8; name*=UTF-8''%E5%8F%91%E7%A5%A8.txt",
    ],
    ids=["disposition-inline", "content-type-name"],
)
def test_chinese_rfc2231_name(headers):
    parsed = parse(mixed(body_part(), part(headers, "发票抬头：云杉优品\n")))
    assert only(parsed, "发票.txt").content.decode() == "发票抬头：云杉优品\n"
    assert parsed.text == NOTE


def test_named_html_part_without_disposition_is_a_file_not_the_body():
    headers = 'Content-Type: text/html; charset=utf-8; name="回执.html"'
    parsed = parse(mixed(body_part(), part(headers, "<p>签收回执</p>")))
    assert only(parsed, "回执.html").content_type == "text/html"
    assert parsed.html == "" and parsed.text == NOTE


@pytest.mark.fault("E6")
def test_a_single_part_mail_whose_type_is_unreadable_keeps_its_named_file():
    # emails-mimekit/messages/missing-subtype.txt: "application-x-gzip" is no type, so the stdlib
    # reads the part as text/plain; the name says it is a file
    raw = (
        HEAD
        + 'Message-ID: <gz@example.cn>\r\nContent-Type: application-x-gzip; name="document.xml.gz"\r\n\r\n'
    ).encode()
    parsed = parse(raw + b"blah blah blah\r\n")
    assert only(parsed, "document.xml.gz").content == b"blah blah blah\r\n"


def test_hostile_encoded_name_is_cleaned():
    word = "=?utf-8?B?" + base64.b64encode("../../etc/日志\u202etxt.exe".encode()).decode() + "?="
    parsed = parse(mixed(body_part(), part(f'Content-Type: text/plain; charset=utf-8; name="{word}"', "x\n")))
    assert [a.name for a in parsed.attachments] == ["日志_txt.exe"]


# --------------------------------------------------------------------------- through the pipeline


@pytest.mark.django_db
@pytest.mark.fault("F3")
def test_named_inline_text_reaches_the_ticket_and_downloads_from_the_agent_workspace(mailbox, agent_li):
    raw = mixed(
        part(
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Disposition: inline; filename*=UTF-8''%E5%8F%91%E7%A5%A8.txt",
            FILE_TEXT,
        ),
        message_id="<pipeline-named@example.cn>",
    )
    assert len(parse_stored(raw).attachments) == 1
    outcome = ingest(raw, mailbox=mailbox, source="test")
    message = Message.objects.get(ticket_id=outcome.ticket_id)
    assert "运输中" in message.body_text  # the text is in the ticket
    attachment = Attachment.objects.get(message=message)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "发票.txt",
        "text/plain",
        len(FILE_TEXT.encode()),
    )

    client = Client()
    client.force_login(agent_li)
    assert "发票.txt" in client.get(reverse("agent:ticket", args=[outcome.ticket_id])).content.decode()
    response = client.get(reverse("agent:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == FILE_TEXT
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    assert unquote(re.search(r"filename\*=UTF-8''([^;]+)", header).group(1)) == "发票.txt"
