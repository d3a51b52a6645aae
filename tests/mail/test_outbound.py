"""Outbound mail through a real SMTP server (aiosmtpd): threading headers, retries, visible failures."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from kefu.core.clock import now
from kefu.mail import outbound
from kefu.mail.inbound import ingest
from kefu.mail.models import Decision, OutboxKind, OutboxMail, OutboxState
from kefu.tickets.models import Ticket
from kefu.tickets.services import Upload, reply

from .mails import raw_mail

pytestmark = pytest.mark.django_db


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


@pytest.mark.fault("E2")
def test_full_conversation_in_the_customers_thread(
    mailbox, smtp_sink, agent_li, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(raw_mail(message_id="<q1@example.cn>", cc="boss@example.cn"), mailbox=mailbox, source="smtp")
    ticket = Ticket.objects.get()
    # 1. the auto-reply acknowledging receipt, in the thread, marked automatic
    ack = parsed(smtp_sink.received[0])
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"] == "<q1@example.cn>"
    assert ticket.number in ack["Subject"] and "24–48 小时" in ack.get_body(("plain",)).get_content()
    # 2. the agent's answer leaves through SMTP, threaded, with the token, HTML + text and the attachment
    with django_capture_on_commit_callbacks(execute=True):
        reply(
            ticket,
            body="您好，已为您加急发货。",
            by=agent_li,
            attachments=[Upload("运单.pdf", b"%PDF-1.4 ok", "application/pdf")],
        )
    assert len(smtp_sink.received) == 2
    answer = parsed(smtp_sink.received[1])
    row = OutboxMail.objects.get(kind=OutboxKind.REPLY)
    assert row.state == OutboxState.SENT and answer["Message-ID"] == f"<{row.message_id}>"
    assert answer["In-Reply-To"] == "<q1@example.cn>" and "<q1@example.cn>" in answer["References"]
    assert f"[#{ticket.number}]" in answer["Subject"] and "Auto-Submitted" not in answer
    assert answer["From"].addresses[0].addr_spec == "service@yunshan.example"
    assert "boss@example.cn" in answer["Cc"]
    assert "加急发货" in answer.get_body(("plain",)).get_content()
    assert "加急发货" in answer.get_body(("html",)).get_content()
    assert [a.get_filename() for a in answer.iter_attachments()] == ["运单.pdf"]
    # 3. the customer's answer to that mail lands on the same ticket
    outcome = ingest(
        raw_mail(subject="Re: 换了标题", body="谢谢！", in_reply_to=answer["Message-ID"]),
        mailbox=mailbox,
        source="smtp",
    )
    assert outcome.decision == Decision.FOLLOW_UP and outcome.ticket_id == ticket.pk
    assert ticket.messages.count() == 3


@pytest.mark.fault("B4")
def test_4xx_is_retried_with_back_off_then_sent_once(
    mailbox, smtp_sink, agent_li, django_capture_on_commit_callbacks
):
    mailbox.auto_reply = False
    mailbox.save()
    ingest(raw_mail(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    smtp_sink.answers = ["451 4.3.0 Mailbox busy, try later", "451 4.3.0 still busy"]
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket, body="已处理", by=agent_li)
    row = OutboxMail.objects.get()
    assert row.state == OutboxState.RETRYING and row.attempts == 1 and "451" in row.last_error
    first_delay = row.next_attempt_at - now()
    assert timedelta(seconds=50) < first_delay <= timedelta(seconds=60)
    assert outbound.send_due() == 0  # not due yet
    OutboxMail.objects.filter(pk=row.pk).update(next_attempt_at=now() - timedelta(seconds=1))
    assert outbound.deliver(row.pk) == OutboxState.RETRYING
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at - now() > timedelta(seconds=100)  # doubled
    OutboxMail.objects.filter(pk=row.pk).update(next_attempt_at=now() - timedelta(seconds=1))
    assert outbound.send_due() == 1
    assert outbound.send_due() == 0  # sent: a second sweep sends nothing
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and len(smtp_sink.received) == 1
    assert parsed(smtp_sink.received[0])["Message-ID"] == f"<{row.message_id}>"


@pytest.mark.fault("B4")
def test_5xx_is_final_shown_on_ticket_and_agent_notified(
    mailbox, smtp_sink, agent_li, client, django_capture_on_commit_callbacks
):
    mailbox.auto_reply = False
    mailbox.save()
    ingest(raw_mail(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    smtp_sink.answers = ["550 5.1.1 User unknown"]
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket, body="已处理", by=agent_li)
    row = OutboxMail.objects.get()
    assert row.state == OutboxState.FAILED and row.attempts == 1 and "550 5.1.1" in row.last_error
    notice = agent_li.notifications.get(kind="mail_failed")
    assert ticket.number in notice.text and "550" in notice.text
    client.force_login(agent_li)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="outbox-failed"' in page and "550 5.1.1 User unknown" in page


@pytest.mark.fault("B4")
def test_smtp_down_is_retried_not_lost(mailbox, settings, agent_li, django_capture_on_commit_callbacks):
    from .servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    mailbox.auto_reply = False
    mailbox.save()
    ingest(raw_mail(), mailbox=mailbox, source="t")
    with django_capture_on_commit_callbacks(execute=True):
        reply(Ticket.objects.get(), body="已处理", by=agent_li)
    row = OutboxMail.objects.get()
    assert row.state == OutboxState.RETRYING and "ConnectionRefused" in row.last_error


def test_replies_on_non_email_tickets_send_nothing(
    make_ticket, customer_x, agent_li, django_capture_on_commit_callbacks
):
    ticket = make_ticket(customer_x)
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket, body="网页工单的回复", by=agent_li)
    assert not OutboxMail.objects.exists()


@pytest.mark.fault("E2")
def test_auto_reply_caps_per_ticket(mailbox):
    ingest(raw_mail(), mailbox=mailbox, source="t")
    ticket = Ticket.objects.get()
    for _ in range(5):
        OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).update(created_at=now() - timedelta(days=1))
        outbound.queue_auto_reply(ticket, mailbox=mailbox)
    assert (
        OutboxMail.objects.filter(ticket=ticket, kind=OutboxKind.AUTO_REPLY).count()
        == outbound.AUTO_MAIL_PER_TICKET
    )


@pytest.mark.fault("E2")
def test_a_flood_from_many_senders_stops_automatic_mail_at_the_install_wide_cap(
    mailbox, settings, admin_user
):
    """FAULTS E2: each sender is under its own window, but together they would make kefu a
    mail cannon; past the hourly cap no auto-reply is queued, every ticket is still created, and
    the admin is told once."""
    from kefu.accounts.models import Notification

    settings.KEFU_MAIL_AUTO_PER_HOUR = 3
    for i in range(5):
        ingest(raw_mail(sender=f"sender{i}@example.cn", subject=f"咨询 {i}"), mailbox=mailbox, source="smtp")
    assert Ticket.objects.count() == 5
    replied = OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY).values_list("to", flat=True)
    assert sorted(replied) == ["sender0@example.cn", "sender1@example.cn", "sender2@example.cn"]
    notices = Notification.objects.filter(user=admin_user, kind="mail_cap")
    assert notices.count() == 1 and "3" in notices.get().text
    # an hour later the brake is off again
    OutboxMail.objects.update(created_at=now() - timedelta(hours=1, minutes=1))
    ingest(raw_mail(sender="sender9@example.cn", subject="咨询 9"), mailbox=mailbox, source="smtp")
    assert OutboxMail.objects.filter(kind=OutboxKind.AUTO_REPLY, to="sender9@example.cn").exists()


@pytest.mark.fault("B1")
def test_a_claimed_mail_is_not_sent_by_a_second_worker(mailbox, smtp_sink):
    ingest(raw_mail(), mailbox=mailbox, source="t")
    row = OutboxMail.objects.get()
    assert outbound._claim(row.pk) is not None  # worker A holds the lease (it is sending)
    assert outbound.deliver(row.pk) == ""  # worker B: not its to send
    assert outbound.send_due() == 0 and smtp_sink.received == []
    OutboxMail.objects.filter(pk=row.pk).update(lease_until=now() - timedelta(seconds=1))  # A died
    from kefu.mail.tasks import send_due_mail

    assert send_due_mail() == 1 and send_due_mail() == 0
    assert len(smtp_sink.received) == 1
