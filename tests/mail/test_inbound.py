"""The inbound pipeline: raw first, one ticket per mail, threading, dedupe, loops, bounces, followers."""

from __future__ import annotations

import pytest

from kefu.mail.inbound import ingest
from kefu.mail.models import (
    BouncedAddress,
    Decision,
    Follower,
    InboundMail,
    KnownMessageId,
    MailState,
    OutboxKind,
    OutboxMail,
)
from kefu.tickets.models import Message, Ticket
from kefu.tickets.states import Status

from .mails import raw_mail

pytestmark = pytest.mark.django_db


@pytest.mark.fault("E2")
def test_new_mail_opens_ticket_for_customer_and_team_and_queues_auto_reply(mailbox, team_aftersales):
    outcome = ingest(raw_mail(cc="boss@example.cn, service@yunshan.example"), mailbox=mailbox, source="test")
    assert outcome.decision == Decision.NEW_TICKET
    ticket = Ticket.objects.get()
    assert ticket.subject == "订单 8899 还没发货" and ticket.channel == "email"
    assert ticket.customer.email == "xiaoming@example.cn" and ticket.customer.name == "王小明"
    assert ticket.team == team_aftersales
    assert "三天了还没有发货" in ticket.messages.get().body_text
    assert list(Follower.objects.values_list("email", flat=True)) == ["boss@example.cn"]
    mail = InboundMail.objects.get()
    assert mail.state == MailState.PROCESSED and bytes(mail.raw).startswith(b"From:")
    reply = OutboxMail.objects.get(kind=OutboxKind.AUTO_REPLY)
    assert reply.to == "xiaoming@example.cn" and ticket.number in reply.subject
    assert (
        "24–48 小时" in reply.body_text
        and "400-820-1234" in reply.body_text
        and ticket.number in reply.body_text
    )


def test_english_customer_gets_english_auto_reply(mailbox):
    ingest(
        raw_mail(subject="Where is my order?", body="Hello, my parcel has not arrived yet, order 77."),
        mailbox=mailbox,
        source="t",
    )
    reply = OutboxMail.objects.get(kind=OutboxKind.AUTO_REPLY)
    assert reply.body_text.startswith("Hello") and "24–48 hours" in reply.body_text


@pytest.mark.fault("E4")
def test_same_mail_twice_and_same_bytes_change_nothing(mailbox):
    raw = raw_mail(message_id="<dup-1@example.cn>")
    ingest(raw, mailbox=mailbox, source="imap")
    again = ingest(raw, mailbox=mailbox, source="smtp retry")
    assert again.decision == Decision.DUPLICATE
    # same Message-ID with different bytes (another relay added a header)
    third = ingest(b"X-Relay: 2\r\n" + raw, mailbox=mailbox, source="alias")
    assert third.decision == Decision.DUPLICATE
    # no Message-ID at all, delivered twice
    bare = b"From: a@example.cn\r\nSubject: no id\r\n\r\nhello there\r\n"
    assert ingest(bare, mailbox=mailbox, source="x").decision == Decision.NEW_TICKET
    assert ingest(bare, mailbox=mailbox, source="x").decision == Decision.DUPLICATE
    assert Ticket.objects.count() == 2 and Message.objects.count() == 2
    assert OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).count() == 2


@pytest.mark.fault("E5")
def test_reply_threads_by_in_reply_to_even_with_changed_subject(mailbox):
    ingest(raw_mail(message_id="<first@example.cn>"), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    outbound = OutboxMail.objects.get().message_id
    outcome = ingest(
        raw_mail(subject="换个标题", body="补充：收货地址改为上海。", in_reply_to=f"<{outbound}>"),
        mailbox=mailbox,
        source="t",
    )
    assert outcome.decision == Decision.FOLLOW_UP and outcome.ticket_id == ticket.pk
    assert ticket.messages.count() == 2 and Ticket.objects.count() == 1
    assert OutboxMail.objects.count() == 1  # no second auto-reply on a follow-up


@pytest.mark.fault("E5")
def test_subject_token_threads_only_the_customer_not_a_stranger(mailbox):
    ingest(raw_mail(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    ok = ingest(
        raw_mail(subject=f"Re: 订单 [#{ticket.number}]", body="还有一个问题"), mailbox=mailbox, source="t"
    )
    assert ok.decision == Decision.FOLLOW_UP and ok.ticket_id == ticket.pk
    stranger = ingest(
        raw_mail(subject=f"Re: [#{ticket.number}]", body="我是陌生人", sender="evil@attacker.example"),
        mailbox=mailbox,
        source="t",
    )
    assert stranger.decision == Decision.NEW_TICKET and stranger.ticket_id != ticket.pk
    assert "我是陌生人" not in "".join(ticket.messages.values_list("body_text", flat=True))
    # Reply-To never decides identity
    spoof = ingest(
        raw_mail(
            sender="evil@attacker.example",
            extra="Reply-To: xiaoming@example.cn",
            subject=f"[#{ticket.number}]",
        ),
        mailbox=mailbox,
        source="t",
    )
    assert spoof.ticket_id != ticket.pk


def test_plus_address_threads(mailbox):
    mailbox.plus_addressing = True
    mailbox.save()
    ingest(raw_mail(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    outcome = ingest(
        raw_mail(to=f"service+{ticket.number.lower()}@yunshan.example", subject="hi"),
        mailbox=mailbox,
        source="t",
    )
    assert outcome.ticket_id == ticket.pk


@pytest.mark.fault("E1")
@pytest.mark.parametrize(
    "extra,sender,subject",
    [
        ("Auto-Submitted: auto-replied", "王小明 <xiaoming@example.cn>", "hi"),
        ("X-Auto-Response-Suppress: All", "王小明 <xiaoming@example.cn>", "hi"),
        ("Precedence: bulk", "王小明 <xiaoming@example.cn>", "hi"),
        ("X-Loop: yes", "王小明 <xiaoming@example.cn>", "hi"),
        ("", "王小明 <xiaoming@example.cn>", "自动回复: 我正在休假"),
        ("", "noreply@shop.example", "通知"),
        ("List-Id: <dev.lists.example>", "王小明 <xiaoming@example.cn>", "hi"),
    ],
)
def test_automatic_mail_is_stored_but_never_answered_and_never_reopens(mailbox, extra, sender, subject):
    outcome = ingest(raw_mail(extra=extra, sender=sender, subject=subject), mailbox=mailbox, source="t")
    assert outcome.decision == Decision.AUTO_REPLY_SUPPRESSED
    assert Ticket.objects.count() == 1 and OutboxMail.objects.count() == 0


@pytest.mark.fault("E1")
def test_out_of_office_reply_to_solved_ticket_does_not_reopen(mailbox):
    ingest(raw_mail(message_id="<q@example.cn>"), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED)
    ooo = ingest(
        raw_mail(in_reply_to="<q@example.cn>", extra="Auto-Submitted: auto-replied"),
        mailbox=mailbox,
        source="t",
    )
    assert ooo.decision == Decision.AUTO_REPLY_SUPPRESSED and ooo.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    human = ingest(raw_mail(in_reply_to="<q@example.cn>", body="还是没收到"), mailbox=mailbox, source="t")
    assert human.decision == Decision.FOLLOW_UP
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_to_closed_ticket_opens_linked_follow_up_when_configured(mailbox):
    mailbox.closed_reply = "follow_up"
    mailbox.save()
    ingest(raw_mail(message_id="<c@example.cn>"), mailbox=mailbox, source="t")
    old = Ticket.objects.get()
    Ticket.objects.filter(pk=old.pk).update(status=Status.CLOSED)
    outcome = ingest(raw_mail(in_reply_to="<c@example.cn>", body="又坏了"), mailbox=mailbox, source="t")
    assert outcome.ticket_id != old.pk
    new = Ticket.objects.get(pk=outcome.ticket_id)
    assert new.links_out.filter(target=new).exists() or old.links_out.filter(target=new).exists()


@pytest.mark.fault("E2")
def test_loop_sender_is_quarantined_after_the_cap_and_own_mail_ignored(mailbox, settings):
    settings.KEFU_MAIL_LOOP_CAP = "5/5"
    decisions = [
        ingest(raw_mail(body=f"第 {i} 封", subject=f"问题 {i}"), mailbox=mailbox, source="t").decision
        for i in range(8)
    ]
    assert decisions[:5] == [Decision.NEW_TICKET] * 5
    assert decisions[5:] == [Decision.QUARANTINED] * 3
    assert "email loop" in InboundMail.objects.filter(state=MailState.QUARANTINED).first().reason
    assert OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).count() == 1  # per-sender cap
    own = ingest(raw_mail(sender="service@yunshan.example", subject="自己发的"), mailbox=mailbox, source="t")
    assert own.decision == Decision.AUTO_REPLY_SUPPRESSED and Ticket.objects.count() == 5


@pytest.mark.fault("E2")
def test_our_own_outgoing_message_id_coming_back_is_a_duplicate(mailbox):
    ingest(raw_mail(), mailbox=mailbox, source="t")
    sent = OutboxMail.objects.get()
    echo = raw_mail(message_id=f"<{sent.message_id}>", sender="someone@example.cn", extra="Precedence: bulk")
    assert ingest(echo, mailbox=mailbox, source="t").decision == Decision.DUPLICATE


@pytest.mark.fault("E3")
def test_dsn_threads_to_ticket_marks_address_and_sends_nothing(mailbox, agent_li):
    ingest(raw_mail(sender="gone@example.cn"), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent_li)
    sent = OutboxMail.objects.get()
    dsn = (
        "From: MAILER-DAEMON@mx.example.cn\r\nTo: service@yunshan.example\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn-1@mx.example.cn>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="D"\r\n\r\n'
        "--D\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--D\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.cn\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--D\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{sent.message_id}>\r\nSubject: x\r\n"
        "--D--\r\n"
    ).encode()
    outcome = ingest(dsn, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.BOUNCE and outcome.ticket_id == ticket.pk
    assert Ticket.objects.count() == 1 and OutboxMail.objects.count() == 1
    assert BouncedAddress.objects.filter(email="gone@example.cn", status="5.1.1").exists()
    sent.refresh_from_db()
    assert sent.state == "failed" and "5.1.1" in sent.last_error
    assert agent_li.notifications.filter(kind="mail_failed").exists()
    # a later mail from that address gets no auto-reply
    ingest(raw_mail(sender="gone@example.cn", subject="另一个问题"), mailbox=mailbox, source="t")
    assert OutboxMail.objects.count() == 1


@pytest.mark.fault("E6", "E7")
def test_no_from_is_quarantined_and_too_large_too(mailbox):
    outcome = ingest(
        b"To: service@yunshan.example\r\nSubject: anon\r\n\r\nhello\r\n", mailbox=mailbox, source="t"
    )
    assert outcome.decision == Decision.QUARANTINED and outcome.reason == "no valid From address"
    mailbox.max_message_bytes = 1024 * 1024
    mailbox.save()
    big = raw_mail(body="大" * (30 * 1024 * 1024 // 4))
    outcome = ingest(big, mailbox=mailbox, source="t")
    assert outcome.decision == Decision.QUARANTINED and outcome.reason.startswith("too large")
    assert InboundMail.objects.filter(state=MailState.QUARANTINED).count() == 2
    assert len(bytes(InboundMail.objects.get(reason__startswith="too large").raw)) == len(big)  # raw kept
    assert not Ticket.objects.exists()


@pytest.mark.fault("E6")
def test_bad_date_and_thousand_recipients_still_import(mailbox):
    to = ", ".join(f"user{i}@example.cn" for i in range(1000))
    raw = raw_mail(to=to).replace(b"Date: Mon, 23 Nov 2026 10:00:00 +0800", b"Date: yesterday-ish")
    assert ingest(raw, mailbox=mailbox, source="t").decision == Decision.NEW_TICKET
    assert KnownMessageId.objects.count() == 2  # the mail and our auto-reply


def test_the_auto_reply_promises_the_first_response_target_of_the_sla_policy(mailbox):
    """Issue 3 §7: the expected time comes from the SLA policy that applies, not a fixed text."""
    from kefu.sla.services import install_defaults

    install_defaults()  # the plans' policies: first response within 2 working hours
    ingest(raw_mail(message_id="<sla-1@example.cn>"), mailbox=mailbox, source="t")
    reply = OutboxMail.objects.get(kind=OutboxKind.AUTO_REPLY)
    assert "2 小时（工作时间）" in reply.body_text and "24–48" not in reply.body_text
    ingest(
        raw_mail(
            message_id="<sla-2@example.cn>",
            sender="lucas@example.de",
            subject="Where is my order?",
            body="Hello, my parcel has not arrived yet.",
        ),
        mailbox=mailbox,
        source="t",
    )
    english = OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).exclude(pk=reply.pk).get()
    assert "2 hours (business hours)" in english.body_text
