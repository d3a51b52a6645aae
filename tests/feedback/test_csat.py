"""CSAT: a survey when a ticket is solved, by mail for mail channels, answered once, reminder once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from kefu.feedback import services
from kefu.feedback.errors import BadLink, Expired, OutOfRange
from kefu.feedback.models import Survey
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, EventKind, Tag, TicketEvent


def _link(message) -> str:
    found = re.findall(r"https?://\S+/feedback/s/\S+/\?score=5", message.body)
    assert found, message.body
    return found[0]


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_solving_an_email_ticket_mails_one_survey_with_signed_links(solved, customer_x):
    ticket = solved()
    survey = Survey.objects.get(ticket=ticket)
    assert survey.by_mail and survey.sent_at is not None
    sent = [m for m in mail.outbox if "/feedback/s/" in m.body]
    assert len(sent) == 1
    assert sent[0].to == [customer_x.email]
    assert sent[0].extra_headers["Auto-Submitted"] == "auto-generated"
    assert ticket.number in sent[0].subject
    assert services.survey_from_token(_link(sent[0]).split("/feedback/s/")[1].split("/")[0]) == survey
    # a second send (the periodic sweep) changes nothing
    assert services.send_due() == 0
    assert services.send_survey(survey.pk) is False
    assert len([m for m in mail.outbox if "/feedback/s/" in m.body]) == 1


def test_by_default_the_survey_mail_waits_an_hour(solved, settings, fixed_clock, solve, agent_li, run):
    settings.KEFU_FEEDBACK = {}
    ticket = solved()
    reopened = solved(subject="又打开了")
    survey = Survey.objects.get(ticket=ticket)
    assert survey.sent_at is None and not [m for m in mail.outbox if "/feedback/s/" in m.body]
    assert services.send_due() == 0
    run(tickets.update_ticket, reopened, by=agent_li, version=None, status="open")
    fixed_clock.shift(timedelta(minutes=61))
    assert services.send_due() == 1  # the reopened ticket's survey waits for its next solve
    assert Survey.objects.get(pk=survey.pk).sent_at is not None
    assert Survey.objects.get(ticket=reopened).sent_at is None


def test_solving_again_keeps_the_one_survey(solved, solve, agent_li, run):
    ticket = solved()
    run(tickets.update_ticket, ticket, by=agent_li, version=None, status="open")
    ticket.refresh_from_db()
    solve(ticket, agent_li)
    assert Survey.objects.filter(ticket=ticket).count() == 1


def test_portal_channel_gets_no_mail_but_a_survey(solved):
    ticket = solved(channel=Channel.CHAT)
    survey = Survey.objects.get(ticket=ticket)
    assert not survey.by_mail and survey.sent_at is not None
    assert not [m for m in mail.outbox if "/feedback/s/" in m.body]
    hook = services.chat_survey(ticket)
    assert hook is not None and hook["survey_id"] == survey.pk


def test_spam_and_merged_tickets_get_no_survey(open_ticket, solve, customer_x, agent_li, run):
    spam = open_ticket(customer_x, subject="spam")
    spam.tags.add(Tag.objects.create(name="spam"))
    solve(spam, agent_li)
    first = open_ticket(customer_x, subject="one")
    second = open_ticket(customer_x, subject="two")
    run(tickets.merge, second, into=first, by=agent_li)
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert services.create_survey(ticket=second) is None
    assert not Survey.objects.filter(ticket__in=[spam, second]).exists()


def test_one_answer_per_ticket(solved):
    survey = Survey.objects.get(ticket=solved())
    first = services.answer(survey, score=5, comment="很好", reasons=["speed", "attitude"])
    assert first.recorded
    second = services.answer(survey, score=1, comment="改主意了")
    assert not second.recorded
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.reasons) == (5, "很好", ["speed", "attitude"])
    # the answer is on the ticket's event log (analytics recomputes that day's rollups)
    assert TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.CHANGED, field="csat").count() == 1


@pytest.mark.parametrize("score", [0, 6, -1, "5.0", "five", "", None, 10**9, " ５"])
def test_score_out_of_range_is_refused(solved, score):
    survey = Survey.objects.get(ticket=solved())
    with pytest.raises(OutOfRange):
        services.answer(survey, score=score)
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_unknown_reason_and_long_comment_are_refused(solved):
    survey = Survey.objects.get(ticket=solved())
    with pytest.raises(OutOfRange):
        services.answer(survey, score=4, reasons=["bribe"])
    with pytest.raises(OutOfRange):
        services.answer(survey, score=4, comment="长" * 2001)
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_forged_and_altered_tokens_are_refused(solved):
    survey = Survey.objects.get(ticket=solved())
    token = services.token_for(survey)
    other = Survey.objects.get(ticket=solved(subject="另一个"))
    pk, _sep, sig = token.partition(":")
    for bad in (f"{other.pk}:{token.split(':', 1)[1]}", token + "x", "1:abc:def", "", "../../admin"):
        with pytest.raises(BadLink):
            services.answer_by_token(bad, score=5)
    # a token signed with another salt (the portal's ticket link) is no survey link
    from django.core.signing import TimestampSigner

    with pytest.raises(BadLink):
        services.survey_from_token(TimestampSigner(salt="kefu.portal.ticket-link").sign(str(survey.pk)))
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_expired_link_is_refused(solved, fixed_clock, settings):
    survey = Survey.objects.get(ticket=solved())
    token = services.token_for(survey)
    fixed_clock.shift(timedelta(days=14, minutes=1))
    with pytest.raises(Expired):
        services.answer_by_token(token, score=5)
    settings.KEFU_FEEDBACK = {"csat_expiry_days": 30}
    with pytest.raises(Expired):  # the survey itself closed at its own expiry
        services.answer_by_token(token, score=5)
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_one_reminder_only_and_not_after_an_answer(solved, fixed_clock):
    quiet = Survey.objects.get(ticket=solved(subject="没回答"))
    answered = Survey.objects.get(ticket=solved(subject="回答了"))
    services.answer(answered, score=4)
    mail.outbox.clear()
    type(quiet.customer).objects.filter(pk=quiet.customer_id).update(language="zh-hans")
    assert services.remind_due() == 0  # too early
    fixed_clock.shift(timedelta(days=3, minutes=1))
    assert services.remind_due() == 1
    assert services.remind_due() == 0  # run twice: still one
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [quiet.customer.email]
    assert "提醒" in mail.outbox[0].subject  # in the customer's language (zh-Hans)
    assert Survey.objects.get(pk=quiet.pk).reminded_at is not None
    assert Survey.objects.get(pk=answered.pk).reminded_at is None


def test_mail_server_down_survey_is_sent_later(solved, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    survey = Survey.objects.get(ticket=solved())
    assert survey.sent_at is None and survey.send_claimed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_due() == 1
    assert Survey.objects.get(pk=survey.pk).sent_at is not None
