"""Reading the receiving MTA's Authentication-Results verdict (FAULTS X3: a forged From)."""

from __future__ import annotations

import pytest

from kefu.mail.authresults import dmarc_failure, results
from kefu.mail.inbound import ingest, reprocess
from kefu.mail.models import Decision, InboundMail, MailState
from kefu.tickets.models import Ticket

from .mails import raw_mail

TRUSTED = ["mx.yunshan.example"]


@pytest.mark.fault("X3")
def test_a_dmarc_fail_from_our_mta_names_the_domain():
    header = (
        "mx.yunshan.example; spf=fail smtp.mailfrom=evil.example; "
        "dkim=none (no signature); dmarc=fail (p=reject dis=none) header.from=VIP.example.cn"
    )
    assert dmarc_failure(header, TRUSTED) == (
        "sender not authenticated: DMARC fail for vip.example.cn at mx.yunshan.example"
    )


@pytest.mark.fault("X3")
def test_a_verdict_written_by_anyone_else_is_ignored():
    # a forger writes their own header; only our MTA's authserv-id counts
    forged = "mx.attacker.example; dmarc=fail header.from=vip.example.cn"
    assert dmarc_failure(forged, TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; dmarc=fail header.from=a.cn", []) == ""


def test_pass_none_and_unreadable_headers_are_not_failures():
    assert dmarc_failure("mx.yunshan.example; dmarc=pass header.from=a.cn", TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; dmarc=none header.from=a.cn", TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; none", TRUSTED) == ""
    assert dmarc_failure(";;;===(((", TRUSTED) == ""
    assert dmarc_failure("", TRUSTED) == ""


def test_comments_and_version_are_read_past():
    authserv, found = results(
        "mx.yunshan.example 1; dkim=pass (2048-bit key; unprotected) header.d=a.cn; "
        "dmarc=fail (p=quarantine (strict)) header.from=a.cn"
    )
    assert authserv == "mx.yunshan.example"
    assert found["dkim"][0] == "pass" and found["dmarc"][0] == "fail"


# ---------------------------------------------------------------- through the pipeline


@pytest.mark.fault("E5", "X3")
@pytest.mark.django_db
def test_a_forged_customer_mail_is_quarantined_and_an_admin_can_release_it(mailbox, settings):
    """FAULTS X3: our MTA says DMARC failed for the customer's domain: the mail does not land on the
    customer's ticket (nor open one in their name) until an admin has looked at it."""
    settings.KEFU_MAIL_TRUSTED_AUTHSERV_IDS = TRUSTED
    ingest(raw_mail(), mailbox=mailbox, source="smtp")
    ticket = Ticket.objects.get()
    verdict = "Authentication-Results: mx.yunshan.example; dmarc=fail (p=reject) header.from=example.cn"
    forged = raw_mail(subject=f"Re: [#{ticket.number}] 改一下收货地址", body="请把地址改成……", extra=verdict)
    outcome = ingest(forged, mailbox=mailbox, source="smtp")
    assert outcome.decision == Decision.QUARANTINED
    assert outcome.reason == "sender not authenticated: DMARC fail for example.cn at mx.yunshan.example"
    assert ticket.messages.count() == 1 and Ticket.objects.count() == 1
    mail = InboundMail.objects.get(pk=outcome.mail_id)
    assert mail.state == MailState.QUARANTINED and bytes(mail.raw) == forged  # kept for review
    released = reprocess(mail)
    assert released.decision == Decision.FOLLOW_UP and ticket.messages.count() == 2


@pytest.mark.fault("X3")
@pytest.mark.django_db
def test_a_passing_or_untrusted_verdict_changes_nothing(mailbox, settings):
    settings.KEFU_MAIL_TRUSTED_AUTHSERV_IDS = TRUSTED
    passing = "Authentication-Results: mx.yunshan.example; dmarc=pass header.from=example.cn"
    assert ingest(raw_mail(extra=passing), mailbox=mailbox, source="smtp").decision == Decision.NEW_TICKET
    # a verdict the sender wrote themselves, under another authserv-id, is not believed
    planted = "Authentication-Results: mx.attacker.example; dmarc=fail header.from=example.cn"
    outcome = ingest(raw_mail(extra=planted, subject="另一个问题"), mailbox=mailbox, source="smtp")
    assert outcome.decision == Decision.NEW_TICKET
