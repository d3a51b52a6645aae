"""A customer's data request reaches the mail kept for them (FAULTS D4): the raw mails as they
arrived and kefu's copies of what it sent are in the export, and an erasure empties them too (the
ticket part alone would leave the full text, addresses and attachments in the raw mail)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from kefu.customers import privacy
from kefu.customers.models import Customer
from kefu.mail.inbound import ingest
from kefu.mail.models import InboundMail, OutboxKind, OutboxMail, OutboxState
from kefu.tickets import services
from kefu.tickets.models import Ticket

from .mails import raw_mail

pytestmark = [pytest.mark.django_db, pytest.mark.fault("D4")]


@pytest.fixture
def mailed(mailbox):
    ingest(
        raw_mail(subject="发票抬头写错了", body="我的身份证号 110101199001011234，请重开发票。"),
        mailbox=mailbox,
        source="test",
    )
    ticket = Ticket.objects.get()
    return ticket.customer, ticket


def test_the_export_holds_the_raw_mails_and_the_mails_sent(mailed, lead_zhao):
    customer, ticket = mailed

    archive = zipfile.ZipFile(io.BytesIO(privacy.export_customer(customer, by=lead_zhao)))

    doc = json.loads(archive.read("customer.json"))
    [received] = doc["mail"]["received"]
    assert received["subject"] == "发票抬头写错了" and received["from"] == "xiaoming@example.cn"
    raw = archive.read(received["file"])
    assert raw == bytes(InboundMail.objects.get().raw) and raw.startswith(b"From:")
    sent = {m["kind"]: m for m in doc["mail"]["sent"]}
    assert sent[OutboxKind.AUTO_REPLY]["to"] == "xiaoming@example.cn"
    assert ticket.number in sent[OutboxKind.AUTO_REPLY]["subject"]


def test_an_erasure_empties_the_raw_mail_and_the_sent_copies_and_cancels_queued_mail(
    mailed, lead_zhao, agent_li
):
    customer, ticket = mailed
    services.reply(ticket, body="已为您重开发票。", by=agent_li)
    services.change_status(ticket, to="solved", by=agent_li)
    queued = OutboxMail.objects.filter(ticket=ticket).order_by("pk").last()
    OutboxMail.objects.filter(pk=queued.pk).update(state=OutboxState.RETRYING)

    request = privacy.request_erasure(customer, by=lead_zhao, reason="客户要求删除个人信息")
    privacy.continue_erasure(request.pk)

    mail = InboundMail.objects.get()
    assert bytes(mail.raw) == b"" and mail.subject == "" and mail.from_email == ""
    assert mail.sha256  # a redelivery of the same mail is still recognised, and still stored nowhere
    for out in OutboxMail.objects.all():
        assert (out.to, out.body_text) == ("", "[erased]")
        assert "110101199001011234" not in out.body_text + out.subject
    assert OutboxMail.objects.get(pk=queued.pk).state == OutboxState.FAILED  # never sent afterwards
    request.refresh_from_db()
    assert "mail" in request.done and Customer.objects.get(pk=customer.pk).erased_at is not None
    assert privacy.continue_erasure(request.pk) == request.done  # again: nothing left to do
