"""kefu's own mails to customers (surveys, confirmations) come from the service mailbox customers
already write to and get replies from, not from a technical default address."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core import mail

from kefu.feedback import services as feedback
from kefu.mail.inbound import ingest
from kefu.mail.models import Mailbox
from kefu.tickets.models import Ticket

from .mails import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _survey_at_once(settings):
    settings.KEFU_FEEDBACK = {"csat_send_after_minutes": 0}


def _survey_mail(ticket: Ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status="solved")
    survey = feedback.create_survey(ticket=ticket)
    assert feedback.send_survey(survey.pk)
    return [m for m in mail.outbox if "/feedback/s/" in m.body][-1]


def test_a_survey_comes_from_the_service_mailbox_with_its_name(mailbox):
    ingest(raw_mail(), mailbox=mailbox, source="test")

    sent = _survey_mail(Ticket.objects.get())

    name, address = parseaddr(sent.from_email)
    assert address == mailbox.address
    assert str(make_header(decode_header(name))) == "云杉优品客服"


def test_without_an_active_mailbox_kefu_uses_its_configured_address(mailbox, settings):
    ingest(raw_mail(), mailbox=mailbox, source="test")
    Mailbox.objects.update(active=False)

    sent = _survey_mail(Ticket.objects.get())

    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
