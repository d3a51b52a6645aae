"""The SMTP/LMTP receiver (aiosmtpd): 250 only after the raw is stored, SIZE and 552, unknown rcpt 550."""

from __future__ import annotations

import re
import smtplib
import time

import pytest
from django.db import OperationalError

from kefu.mail import parsing
from kefu.mail.models import InboundMail, MailState
from kefu.mail.receiver import controller
from kefu.tickets.models import Ticket

from .conftest import ADDRESS
from .mails import raw_mail
from .servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(mailbox):
    port = free_port()
    server = controller("127.0.0.1", port, max_bytes=1024 * 1024)
    server.start()
    yield port
    # Let the processing of the last mail finish before the test database is flushed.
    deadline = time.monotonic() + 15
    while server.handler.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:  # the in-memory test database is locked while the receiver writes
            pass
        time.sleep(0.05)
    return False


@pytest.mark.fault("E4", "E7")
def test_mail_from_a_real_client_becomes_a_ticket(receiver, team_aftersales):
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and int(client.esmtp_features["size"]) == 1024 * 1024
        refused = client.sendmail(
            "xiaoming@example.cn", [ADDRESS], raw_mail(message_id="<smtp-1@example.cn>")
        )
        assert refused == {}
    # 250 came after the raw was committed
    assert wait_for(lambda: InboundMail.objects.filter(message_id="smtp-1@example.cn").exists(), timeout=2)
    assert wait_for(lambda: Ticket.objects.filter(team=team_aftersales).exists())
    assert wait_for(lambda: InboundMail.objects.filter(state=MailState.PROCESSED).exists())
    # the MTA retries the same message: still one ticket
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("xiaoming@example.cn", [ADDRESS], raw_mail(message_id="<smtp-1@example.cn>"))
    assert wait_for(lambda: InboundMail.objects.filter(state=MailState.DUPLICATE).exists())
    assert wait_for(lambda: Ticket.objects.count() == 1)


@pytest.mark.fault("E7")
def test_too_large_gets_552_and_unknown_recipient_550(receiver):
    big = raw_mail(body="大" * (1024 * 1024))
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        with pytest.raises(smtplib.SMTPResponseException) as err:
            client.sendmail("xiaoming@example.cn", [ADDRESS], big)
        assert err.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
            client.sendmail("xiaoming@example.cn", ["nobody@yunshan.example"], raw_mail())
        assert err.value.recipients["nobody@yunshan.example"][0] == 550
    assert not InboundMail.objects.exists()


def test_plus_address_recipient_reaches_its_mailbox(receiver):
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("xiaoming@example.cn", ["service+kf-000001@yunshan.example"], raw_mail())
    assert InboundMail.objects.filter(mailbox__address=ADDRESS).count() == 1


@pytest.mark.fault("E2")
def test_done_when_real_client_to_receiver_auto_reply_agent_answer_customer_answer(
    receiver, smtp_sink, team_aftersales, agent_li
):
    from email import message_from_bytes, policy

    from kefu.tickets.services import reply

    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("xiaoming@example.cn", [ADDRESS], raw_mail(message_id="<done-1@example.cn>"))
    assert wait_for(lambda: len(smtp_sink.received) == 1)  # the auto-reply went out through real SMTP
    ticket = Ticket.objects.get()
    assert ticket.team == team_aftersales and ticket.customer.email == "xiaoming@example.cn"
    ack = message_from_bytes(smtp_sink.received[0], policy=policy.default)
    assert ack["Auto-Submitted"] == "auto-replied" and "24–48 小时" in ack.get_body(("plain",)).get_content()
    assert smtp_sink.envelopes[0][1] == ["xiaoming@example.cn"]
    reply(ticket, body="已为您补发。", by=agent_li)  # commits: the handler sends it
    assert wait_for(lambda: len(smtp_sink.received) == 2)
    answer = message_from_bytes(smtp_sink.received[1], policy=policy.default)
    assert answer["In-Reply-To"] == "<done-1@example.cn>"
    customer_reply = raw_mail(subject="Re: 收到了吗", body="收到了，谢谢", in_reply_to=answer["Message-ID"])
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("xiaoming@example.cn", [ADDRESS], customer_reply)
    assert wait_for(lambda: ticket.messages.count() == 3)
    assert Ticket.objects.count() == 1 and len(smtp_sink.received) == 2  # no auto-reply to a follow-up


@pytest.mark.fault("E6")
def test_the_parse_time_limit_holds_in_the_receiver_threads(receiver, settings, monkeypatch):
    """The receiver parses in worker threads, where no timer signal reaches: a mail that would
    take forever to parse is parsed in a parsing process, quarantined at the limit, and the
    receiver goes on with the next mail."""
    settings.KEFU_MAIL_PARSE_SECONDS = 0.5
    monkeypatch.setattr(parsing, "_REMOTE", "tests.mail.mails:parse_forever_if_marked")
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail(
            "xiaoming@example.cn",
            [ADDRESS],
            raw_mail(message_id="<slow-smtp@example.cn>", extra="X-Test: pathological"),
        )
        client.sendmail(
            "xiaoming@example.cn",
            [ADDRESS],
            raw_mail(message_id="<fine-smtp@example.cn>", subject="正常的邮件"),
        )
    assert wait_for(
        lambda: InboundMail.objects.filter(
            message_id="slow-smtp@example.cn", state=MailState.QUARANTINED
        ).exists(),
        timeout=30,
    )
    slow = InboundMail.objects.get(message_id="slow-smtp@example.cn")
    assert slow.reason == "parse timeout: more than 0.5 s" and slow.ticket_id is None
    assert wait_for(lambda: Ticket.objects.filter(subject="正常的邮件").exists(), timeout=30)


@pytest.mark.fault("E7")
def test_a_client_that_does_not_declare_the_size_gets_552_at_the_end_of_data_and_can_go_on(receiver):
    """SIZE is advertised; a client that ignores it (no SIZE= on MAIL FROM) sends the whole mail
    and gets 552 after DATA, nothing stored, and the same connection delivers the next mail."""
    big = raw_mail(message_id="<big-nosize@example.cn>", body="大" * (1024 * 1024))
    big = re.sub(rb"(?<!\r)\n", b"\r\n", big)  # as an MTA sends it: CRLF lines
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.ehlo()
        assert int(client.esmtp_features["size"]) == 1024 * 1024
        assert client.mail("xiaoming@example.cn")[0] == 250  # no SIZE= given
        assert client.rcpt(ADDRESS)[0] == 250
        code, _message = client.data(big)
        assert code == 552
        client.rset()
        refused = client.sendmail(
            "xiaoming@example.cn", [ADDRESS], raw_mail(message_id="<after-big@example.cn>")
        )
        assert refused == {}
    assert wait_for(lambda: Ticket.objects.count() == 1)
    assert list(InboundMail.objects.values_list("message_id", flat=True)) == ["after-big@example.cn"]
