"""FAULTS E6: a corpus of malformed mail through the real SMTP receiver and through `kefu mail
import`. Each mail is imported (with a defect note in its reason) or quarantined with its reason,
its raw bytes kept either way; parsing one mail takes a bounded time; the receiver goes on with the
next mail; and `kefu mail reprocess` imports a quarantined mail once the limit is raised."""

from __future__ import annotations

import base64
import io
import json
import smtplib
import time

import pytest
from django.core.management import call_command

from kefu.mail.inbound import ingest
from kefu.mail.models import Decision, InboundMail, MailState
from kefu.tickets.models import Ticket

from .conftest import ADDRESS
from .mails import raw_mail
from .test_receiver import receiver, wait_for  # noqa: F401 (the fixture)

HEAD = (
    "From: 王小明 <xiaoming@example.cn>\r\nTo: service@yunshan.example\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0800\r\n"
)
PARSE_SECONDS = 5.0  # the limit the tests run with (KEFU_MAIL_PARSE_SECONDS)


def _mail(name: str, headers: str, body: bytes) -> bytes:
    return (
        HEAD
        + f"Message-ID: <e6-{name}@example.cn>\r\nSubject: E6 {name}\r\nMIME-Version: 1.0\r\n{headers}\r\n"
    ).encode() + body


def _wrapped(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def _rfc822_50_deep() -> bytes:
    inner = b"From: deep@example.cn\r\nSubject: level 0\r\n\r\nbottom\r\n"
    for level in range(1, 51):
        inner = (
            f"From: deep@example.cn\r\nSubject: level {level}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode() + inner
    return _mail(
        "rfc822-50-deep",
        'Content-Type: multipart/mixed; boundary="B"\r\n',
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n转发的邮件套了五十层\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\n".encode()
        + inner
        + b"\r\n--B--\r\n",
    )


# name -> (raw, text the ticket shows, defect the reason names or "")
def corpus() -> dict[str, tuple[bytes, str, str]]:
    pdf = _wrapped(b"%PDF-1.4 " + b"x" * 3000)
    parts = "".join(f"--B\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(10_000))
    params = "".join(f"; p{i}=v{i}" for i in range(5_000))
    links = "".join(f'<a href="https://shop.example/p/{i}">商品 {i}</a><br>' for i in range(10_000))
    return {
        "missing-boundary": (
            _mail(
                "missing-boundary",
                "Content-Type: multipart/mixed\r\n",
                "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n缺少边界的正文\r\n--B--\r\n".encode(),
            ),
            "缺少边界的正文",
            "NoBoundaryInMultipartDefect",
        ),
        "duplicate-boundary": (
            _mail(
                "duplicate-boundary",
                'Content-Type: multipart/mixed; boundary="B"; boundary="C"\r\n',
                (
                    '--B\r\nContent-Type: multipart/alternative; boundary="B"\r\n\r\n'
                    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n重复边界的正文\r\n--B--\r\n--B--\r\n"
                ).encode(),
            ),
            "重复边界的正文",
            "without readable parts",
        ),
        "truncated-base64": (
            _mail(
                "truncated-base64",
                'Content-Type: multipart/mixed; boundary="B"\r\n',
                (
                    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n附件被截断了\r\n"
                    "--B\r\nContent-Type: application/pdf\r\n"
                    'Content-Disposition: attachment; filename="发票.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                    + pdf[: len(pdf) // 2 + 7]
                ).encode(),
            ),
            "附件被截断了",
            "CloseBoundaryNotFoundDefect",
        ),
        "10000-parts": (
            _mail(
                "10000-parts",
                'Content-Type: multipart/mixed; boundary="B"\r\n',
                (parts + "--B--\r\n").encode(),
            ),
            "part 0",
            "more than 500 parts",
        ),
        "5000-params": (
            _mail(
                "5000-params", f"Content-Type: text/plain; charset=utf-8{params}\r\n", "五千个参数".encode()
            ),
            "五千个参数",
            "content-type parameters past",
        ),
        "10000-links": (  # one line of 570 kB
            _mail(
                "10000-links",
                "Content-Type: text/html; charset=utf-8\r\n",
                f"<p>一万个链接</p>{links}".encode(),
            ),
            "一万个链接",
            "",
        ),
        "nul-bytes": (
            _mail(
                "nul-bytes",
                "X-Nul: a\x00b\r\nContent-Type: text/plain; charset=utf-8\r\n",
                "空字节\x00在正文里".encode(),
            ),
            "空字节在正文里",
            "NUL bytes removed",
        ),
        "100k-header-line": (
            _mail(
                "100k-header-line",
                "X-Long: " + "x" * 100_000 + "\r\nContent-Type: text/plain; charset=utf-8\r\n",
                "很长的头".encode(),
            ),
            "很长的头",
            "",
        ),
        "rfc822-50-deep": (_rfc822_50_deep(), "转发的邮件套了五十层", ""),
    }


def check_kept(raw: bytes, name: str, text: str, defect: str) -> InboundMail:
    """Imported with its text (and the defect named), or quarantined with a reason; raw kept."""
    mail = InboundMail.objects.get(message_id=f"e6-{name}@example.cn")
    assert bytes(mail.raw) in (raw, raw + b"\r\n"), name  # (SMTP ends the data with a line end)
    assert mail.state in (MailState.PROCESSED, MailState.QUARANTINED), (name, mail.state, mail.reason)
    if mail.state == MailState.QUARANTINED:
        assert mail.reason, name
        return mail
    ticket = Ticket.objects.get(pk=mail.ticket_id)
    assert text in ticket.messages.get().body_text, name
    if defect:
        assert "defects: " in mail.reason and defect in mail.reason, (name, mail.reason)
    return mail


@pytest.mark.fault("E6")
@pytest.mark.django_db(transaction=True)
def test_malformed_mail_through_the_real_smtp_receiver(receiver, settings):  # noqa: F811
    settings.KEFU_MAIL_PARSE_SECONDS = PARSE_SECONDS
    seconds = {}
    for number, (name, (raw, text, defect)) in enumerate(corpus().items(), start=1):
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", receiver, timeout=30) as client:
            assert client.sendmail("xiaoming@example.cn", [ADDRESS], raw) == {}, name
            # the receiver goes on: a plain mail right after the bad one becomes a ticket
            client.sendmail("xiaoming@example.cn", [ADDRESS], raw_mail(subject=f"正常邮件 {number}"))
        assert wait_for(
            lambda number=number: (
                InboundMail.objects.filter(state=MailState.RECEIVED).count() == 0
                and Ticket.objects.filter(subject=f"正常邮件 {number}").exists()
            ),
            timeout=PARSE_SECONDS + 30,
        ), name
        seconds[name] = time.monotonic() - started
        check_kept(raw, name, text, defect)
    slowest = max(seconds, key=seconds.get)
    # the first mail also starts the parsing process (a second or two)
    assert seconds[slowest] < PARSE_SECONDS + 5, seconds


@pytest.mark.fault("E6")
@pytest.mark.django_db
def test_malformed_mail_through_kefu_mail_import(tmp_path, mailbox, settings):
    settings.KEFU_MAIL_PARSE_SECONDS = PARSE_SECONDS
    mails = corpus()
    for name, (raw, _text, _defect) in mails.items():
        (tmp_path / f"{name}.eml").write_bytes(raw)
    out = io.StringIO()
    started = time.monotonic()
    call_command("mail", "import", "--json", "--mailbox", ADDRESS, str(tmp_path), stdout=out)
    elapsed = time.monotonic() - started
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == len(mails)
    assert all(line["decision"] in (Decision.NEW_TICKET, Decision.QUARANTINED) for line in lines), lines
    for name, (raw, text, defect) in mails.items():
        check_kept(raw, name, text, defect)
    assert elapsed < len(mails) * PARSE_SECONDS
    # each on its own, parsed as the pipeline parses it: within the limit (the time itself is
    # measured by benchmarks, not asserted here: a loaded CI machine is slower)
    from kefu.mail.parsing import parse_stored

    for name, (raw, _text, _defect) in mails.items():
        started = time.monotonic()
        parse_stored(raw, seconds=PARSE_SECONDS)
        assert time.monotonic() - started < PARSE_SECONDS, name


@pytest.mark.fault("E6")
@pytest.mark.django_db
def test_a_mail_past_the_parse_limit_is_quarantined_kept_and_reprocess_imports_it_after_the_limit_is_raised(
    mailbox, settings
):
    raw, text, defect = corpus()["10000-parts"]
    settings.KEFU_MAIL_PARSE_SECONDS = 0.02
    started = time.monotonic()
    outcome = ingest(raw, mailbox=mailbox, source="smtp")
    assert time.monotonic() - started < PARSE_SECONDS  # cut at the limit, not parsed to the end
    assert outcome.decision == Decision.QUARANTINED and outcome.reason == "parse timeout: more than 0.02 s"
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.QUARANTINED and bytes(mail.raw) == raw and not Ticket.objects.exists()
    settings.KEFU_MAIL_PARSE_SECONDS = PARSE_SECONDS  # the fix: a limit this mail fits in
    out = io.StringIO()
    call_command("mail", "reprocess", str(mail.pk), stdout=out)
    assert out.getvalue().startswith(f"{mail.pk}: new_ticket")
    mail = check_kept(raw, "10000-parts", text, defect)
    assert mail.state == MailState.PROCESSED
    # once imported, another reprocess changes nothing
    call_command("mail", "reprocess", "--all", stdout=io.StringIO())
    assert Ticket.objects.count() == 1
