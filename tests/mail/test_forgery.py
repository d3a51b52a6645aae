"""Issue 13, mail: a sender comes from the From header's structure, a bounce counts only for mail
kefu sent, and a different mail reusing a Message-ID is kept (quarantined), never dropped."""

from __future__ import annotations

import base64

import pytest

from kefu.mail.importing import import_many
from kefu.mail.inbound import DryRunMemory, ingest, raw_row
from kefu.mail.models import (
    BouncedAddress,
    Decision,
    Follower,
    InboundMail,
    MailState,
    OutboxKind,
    OutboxMail,
)
from kefu.mail.parsing import parse
from kefu.tickets.models import Message, Ticket

from .mails import raw_mail

pytestmark = pytest.mark.django_db

VICTIM = "张晓明 <xiaoming@example.cn>"
ENCODED_VICTIM = "=?utf-8?b?" + base64.b64encode(VICTIM.encode()).decode() + "?="
DMARC_PASS = "Authentication-Results: mx.yunshan.example; dmarc=pass header.from=evil.example"


def _victim_ticket(mailbox) -> Ticket:
    ingest(raw_mail(sender=VICTIM, message_id="<victim-1@example.cn>"), mailbox=mailbox, source="t")
    return Ticket.objects.get(customer__email="xiaoming@example.cn")


@pytest.mark.fault("E5", "E9", "X3")
def test_an_encoded_display_name_holding_an_address_never_becomes_the_sender(mailbox):
    """The probe's mail: the decoded display name reads "张晓明 <xiaoming@example.cn>", the address is
    the attacker's. It must not land on her ticket as her words, nor open one under her name."""
    hers = _victim_ticket(mailbox)
    forged = raw_mail(
        sender=f"{ENCODED_VICTIM} <attacker@evil.example>",
        subject=f"补充 [#{hers.number}]",
        body="请把退款打到这个新账户：6222 0000 1111 2222。",
        extra=DMARC_PASS,
    )
    outcome = ingest(forged, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.NEW_TICKET and outcome.ticket_id != hers.pk
    assert hers.messages.count() == 1  # nothing appended to her ticket
    theirs = Ticket.objects.get(pk=outcome.ticket_id)
    assert theirs.customer.email == "attacker@evil.example"
    assert theirs.customer.name == VICTIM  # the name is plain text, shown as typed
    assert InboundMail.objects.get(pk=outcome.mail_id).from_email == "attacker@evil.example"
    auto = OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).order_by("pk").last()
    assert auto.ticket_id == theirs.pk and auto.to == "attacker@evil.example"


@pytest.mark.fault("E5")
@pytest.mark.parametrize(
    "header",
    [
        f"{ENCODED_VICTIM} <attacker@evil.example>",
        f'"{VICTIM}" <attacker@evil.example>',  # a quoted name with '@' and angle brackets
        f"attacker@evil.example ({VICTIM})",  # the old form: the name in a comment
        '"xiaoming@example.cn" <attacker@evil.example>',
    ],
)
def test_a_display_name_with_an_address_in_it_is_a_plain_name(header):
    parsed = parse(f"From: {header}\r\nSubject: x\r\n\r\nhello\r\n".encode())
    assert parsed.from_email == "attacker@evil.example"
    assert "xiaoming@example.cn" in parsed.from_name  # shown as the name it is, not read as an address


@pytest.mark.fault("E5")
@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("attacker@evil.example, xiaoming@example.cn", "several"),
        ("xiaoming@example.cn, attacker@evil.example", "several"),
        ("张晓明 <xiaoming@example.cn> <attacker@evil.example>", "ambiguous"),
        ("xiaoming@example.cn <attacker@evil.example>", "ambiguous"),
        ("xiaoming@example.cn)<attacker@evil.example>", "ambiguous"),
    ],
)
def test_a_from_naming_several_senders_credits_none_of_them(mailbox, header, problem):
    hers = _victim_ticket(mailbox)
    outcome = ingest(
        raw_mail(sender=header, subject=f"补充 [#{hers.number}]", extra=DMARC_PASS),
        mailbox=mailbox,
        source="t",
    )
    assert outcome.decision == Decision.QUARANTINED
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.QUARANTINED and mail.ticket_id is None
    assert "xiaoming@example.cn" in mail.reason and "attacker@evil.example" in mail.reason
    expected = "Ambiguous From header" if problem == "ambiguous" else "From holds 2 addresses"
    assert mail.reason.startswith(expected)
    assert hers.messages.count() == 1 and Ticket.objects.count() == 1
    assert OutboxMail.objects.count() == 1  # her auto-reply only: nothing sent to either address


@pytest.mark.fault("E6")
def test_a_very_long_from_header_follows_the_same_rule():
    """Past a few thousand characters (FAULTS E6: 100 kB header lines) the header is read by one
    parser only: one mailbox is credited, several credit nobody, as for a short header."""
    long_name = f"{ENCODED_VICTIM} " * 3000 + "<attacker@evil.example>"
    parsed = parse(f"From: {long_name}\r\nSubject: x\r\n\r\nhello\r\n".encode())
    assert parsed.from_email == "attacker@evil.example" and parsed.from_name.startswith(VICTIM)
    many = ", ".join(f"user{i}@example.cn" for i in range(3000))
    parsed = parse(f"From: {many}\r\nSubject: x\r\n\r\nhello\r\n".encode())
    assert parsed.from_email == "" and parsed.from_problem == "several"


def test_several_from_addresses_show_in_the_failed_view_and_a_reprocess_credits_the_sender(
    client, mailbox, lead_zhao
):
    raw = raw_mail(
        sender="王芳 <wangfang@example.cn>, 李雷 <lilei@example.cn>",
        extra="Sender: 李雷 <lilei@example.cn>",
        subject="我们两个人的联名投诉",
    )
    outcome = ingest(raw, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.QUARANTINED and not Ticket.objects.exists()
    client.force_login(lead_zhao)
    page = client.get("/agent/mail/failed/").content.decode()
    assert f'data-testid="failed-{outcome.mail_id}"' in page
    assert "From holds 2 addresses (wangfang@example.cn, lilei@example.cn)" in page
    original = client.get(f"/agent/mail/mails/{outcome.mail_id}/").content.decode()
    assert "wangfang@example.cn, lilei@example.cn" in original and "no sender credited" in original
    client.post(f"/agent/mail/mails/{outcome.mail_id}/reprocess/")
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.PROCESSED and mail.from_email == "lilei@example.cn"
    assert Ticket.objects.get().customer.email == "lilei@example.cn"  # the Sender, as RFC 5322 says


@pytest.mark.fault("E5")
def test_reply_to_sender_and_cc_take_the_address_never_the_decoded_name(mailbox):
    raw = raw_mail(
        sender="客户 <customer@example.cn>",
        cc=f"{ENCODED_VICTIM} <colleague@example.cn>",
        extra=(
            f"Reply-To: {ENCODED_VICTIM} <replies@evil.example>\r\n"
            f"Sender: {ENCODED_VICTIM} <relay@evil.example>"
        ),
    )
    parsed = parse(raw)
    assert parsed.reply_to == "replies@evil.example" and parsed.sender_email == "relay@evil.example"
    assert parsed.cc == ("colleague@example.cn",)
    ingest(raw, mailbox=mailbox, source="t")
    # the victim, named only inside a display name, is not copied on the ticket's replies
    assert list(Follower.objects.values_list("email", flat=True)) == ["colleague@example.cn"]


@pytest.mark.fault("E7")
def test_a_too_large_mail_is_bounced_to_its_real_address_not_the_one_in_its_display_name(mailbox):
    """The row stored before parsing reads its sender the same way: the polite "too large" note
    goes to the attacker, never to the customer named in the display name."""
    mailbox.max_message_bytes = 4000
    mailbox.bounce_too_large = True
    mailbox.save()
    raw = raw_mail(sender=f'"{VICTIM}" <attacker@evil.example>', body="大" * 3000)
    assert raw_row(raw, mailbox=mailbox, source="t").from_email == "attacker@evil.example"
    outcome = ingest(raw, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.QUARANTINED and outcome.reason.startswith("too large")
    assert list(OutboxMail.objects.values_list("kind", "to")) == [
        (OutboxKind.BOUNCE, "attacker@evil.example")
    ]


# --------------------------------------------------------------------------- bounces


def _dsn(recipient: str, original: str, *, message_id: str = "<dsn-x@mx.evil.example>") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.evil.example\r\nTo: service@yunshan.example\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="D"\r\n\r\n'
        "--D\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--D\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--D\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original}\r\nSubject: x\r\n"
        "--D--\r\n"
    ).encode()


@pytest.mark.fault("E3")
def test_a_forged_bounce_for_mail_kefu_never_sent_marks_no_address(client, mailbox, agent_li):
    hers = _victim_ticket(mailbox)
    Ticket.objects.filter(pk=hers.pk).update(assignee=agent_li)
    sent = OutboxMail.objects.get()
    outcome = ingest(_dsn("xiaoming@example.cn", "<made-up-1@yunshan.example>"), mailbox=mailbox, source="t")
    assert outcome.decision == Decision.BOUNCE and outcome.ticket_id is None
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.IGNORED and mail.reason.startswith("Bounce ignored: it refers to no mail")
    assert not BouncedAddress.objects.exists()
    sent.refresh_from_db()
    assert sent.state != "failed" and not agent_li.notifications.filter(kind="mail_failed").exists()
    # her ticket does not warn the agent that her address is undeliverable
    client.force_login(agent_li)
    page = client.get(f"/agent/tickets/{hers.pk}/").content.decode()
    assert 'data-testid="mail-panel"' in page and "is undeliverable" not in page


@pytest.mark.fault("E3")
def test_a_bounce_quoting_a_real_mail_of_ours_for_someone_else_marks_no_address(mailbox):
    """The attacker got an auto-reply of their own (a real Message-ID of ours) and quotes it in a
    forged bounce naming the customer: she was not a recipient of that mail, so nothing is marked."""
    _victim_ticket(mailbox)
    ingest(
        raw_mail(sender="attacker@evil.example", subject="hi", message_id="<a-1@evil.example>"),
        mailbox=mailbox,
        source="t",
    )
    theirs = OutboxMail.objects.get(to="attacker@evil.example")
    outcome = ingest(_dsn("xiaoming@example.cn", f"<{theirs.message_id}>"), mailbox=mailbox, source="t")
    assert outcome.decision == Decision.BOUNCE
    assert "xiaoming@example.cn was not a recipient" in InboundMail.objects.get(pk=outcome.mail_id).reason
    assert not BouncedAddress.objects.exists()
    theirs.refresh_from_db()
    assert theirs.state != "failed"


@pytest.mark.fault("E3")
def test_a_real_bounce_found_by_in_reply_to_marks_the_recipient(mailbox):
    """A bounce without the original's headers still counts when its In-Reply-To is a mail we sent."""
    _victim_ticket(mailbox)
    sent = OutboxMail.objects.get()
    dsn = _dsn("xiaoming@example.cn", "<unknown@elsewhere.example>").replace(
        b"MIME-Version: 1.0\r\n", f"In-Reply-To: <{sent.message_id}>\r\nMIME-Version: 1.0\r\n".encode(), 1
    )
    outcome = ingest(dsn, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.BOUNCE and outcome.ticket_id == sent.ticket_id
    assert BouncedAddress.objects.filter(email="xiaoming@example.cn", status="5.1.1").exists()
    sent.refresh_from_db()
    assert sent.state == "failed"


# --------------------------------------------------------------------------- Message-ID reuse


@pytest.mark.fault("E4")
def test_a_different_mail_reusing_a_message_id_is_kept_in_failed_mail_and_can_be_imported(
    client, mailbox, lead_zhao
):
    first = raw_mail(message_id="<same-id@example.cn>")
    ingest(first, mailbox=mailbox, source="t")
    # the same mail again, through another relay: still a duplicate, nothing changes
    again = ingest(b"Received: from relay2.example.cn\r\n" + first, mailbox=mailbox, source="alias")
    assert again.decision == Decision.DUPLICATE
    other = raw_mail(
        message_id="<same-id@example.cn>",
        sender="李雷 <lilei@example.cn>",
        subject="发票抬头写错了",
        body="发票抬头应为：上海云杉贸易有限公司。",
    )
    outcome = ingest(other, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.QUARANTINED
    assert outcome.reason.startswith("Message-ID already used by a different mail (same-id@example.cn)")
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
    client.force_login(lead_zhao)
    page = client.get("/agent/mail/failed/").content.decode()
    assert f'data-testid="failed-{outcome.mail_id}"' in page and "Message-ID already used" in page
    client.post(f"/agent/mail/mails/{outcome.mail_id}/reprocess/")
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.PROCESSED and mail.decision == Decision.NEW_TICKET
    second = Ticket.objects.get(pk=mail.ticket_id)
    assert second.customer.email == "lilei@example.cn" and "上海云杉贸易" in second.messages.get().body_text
    assert Ticket.objects.count() == 2
    client.post(f"/agent/mail/mails/{outcome.mail_id}/reprocess/")  # twice: nothing more
    assert Ticket.objects.count() == 2 and Message.objects.count() == 2


def test_an_archive_import_keeps_a_reused_message_id_too(mailbox):
    items = [
        ("a:0", raw_mail(message_id="<arch@example.cn>", subject="第一封")),
        # the same mail through another relay: other bytes, same content
        (
            "a:1",
            b"Received: from relay2.example.cn\r\n"
            + raw_mail(message_id="<arch@example.cn>", subject="第一封"),
        ),
        ("a:2", raw_mail(message_id="<arch@example.cn>", subject="另一封", sender="lilei@example.cn")),
    ]
    outcomes = [
        o for _s, o in import_many(items, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=10)
    ]
    assert [o.decision for o in outcomes] == ["new_ticket", "duplicate", "quarantined"]
    assert "Message-ID already used by a different mail" in outcomes[2].reason
    dry = [o for _s, o in import_many(items, mailbox=mailbox, dry=True, memory=DryRunMemory())]
    assert [o.decision for o in dry] == ["duplicate", "duplicate", "quarantined"]


def test_the_reasons_are_written_in_the_install_language(settings, mailbox):
    settings.LANGUAGE_CODE = "zh-hans"
    outcome = ingest(_dsn("xiaoming@example.cn", "<made-up-2@yunshan.example>"), mailbox=mailbox, source="t")
    assert InboundMail.objects.get(pk=outcome.mail_id).reason.startswith(
        "退信已忽略：它对应的不是 kefu 发出的邮件"
    )
    outcome = ingest(raw_mail(sender="a@example.cn, b@example.cn"), mailbox=mailbox, source="t")
    assert outcome.reason.startswith("发件人（From）头含有 2 个地址（a@example.cn, b@example.cn）")


@pytest.mark.fault("E4")
def test_a_different_mail_with_the_message_id_of_one_written_meanwhile_is_not_a_duplicate(mailbox):
    """Two mails with one Message-ID delivered at the same moment: both were decided before either
    was written (the SMTP receiver's threads, two IMAP pollers); the second to write is kept in
    failed mail, not dropped as "same message already on the ticket"."""
    from kefu.mail.inbound import _apply_guarded, decide, our_addresses, store_raw
    from kefu.mail.parsing import parse_stored

    first = store_raw(raw_mail(message_id="<race@example.cn>"), mailbox=mailbox, source="smtp")
    other = store_raw(
        raw_mail(message_id="<race@example.cn>", sender="lilei@example.cn", body="另一封邮件的内容。"),
        mailbox=mailbox,
        source="smtp",
    )
    decided = []
    for mail in (first, other):
        parsed = parse_stored(bytes(mail.raw))
        outcome = decide(
            parsed, mailbox=mailbox, digest=mail.sha256, size=len(mail.raw), exclude_mail=mail.pk
        )
        assert outcome.decision == Decision.NEW_TICKET  # neither sees the other yet
        decided.append((mail, parsed, outcome))
    results = [
        _apply_guarded(
            mail,
            parsed,
            outcome,
            auto_reply=False,
            ours=our_addresses(),
            head={"message_id": parsed.message_id, "content_sha256": parsed.content_sha256},
            lookups=None,
        )
        for mail, parsed, outcome in decided
    ]
    assert [r.decision for r in results] == [Decision.NEW_TICKET, Decision.QUARANTINED]
    assert results[1].reason.startswith("Message-ID already used by a different mail")
    assert InboundMail.objects.get(pk=other.pk).state == MailState.QUARANTINED
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
