"""NPS: a stable sample each month, one question per customer and month, answered once, trend."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from kefu.feedback import nps, tasks
from kefu.feedback.errors import BadLink, OutOfRange
from kefu.feedback.models import NpsSurvey
from tests.factories import CustomerFactory


@pytest.fixture
def served(open_ticket, customer_x, customer_y):
    people = [customer_x, customer_y] + [
        CustomerFactory(email=f"c{i}@example.cn", user=None) for i in range(3)
    ]
    for person in people[:2]:
        open_ticket(person)
    return people


def test_everyone_served_when_the_sample_is_100_percent(served, settings):
    settings.KEFU_FEEDBACK = {"nps_sample_percent": 100}
    assert tasks.sample_nps("2026-06") == 2  # only the two with a ticket in the last 12 months
    assert tasks.sample_nps("2026-06") == 0  # safe to run twice
    assert NpsSurvey.objects.filter(period=date(2026, 6, 1)).count() == 2
    mail.outbox.clear()
    assert tasks.send_surveys() == 2
    assert tasks.send_surveys() == 0
    assert len(mail.outbox) == 2 and "/feedback/nps/" in mail.outbox[0].body


def test_sample_is_stable_and_near_its_share(settings):
    settings.KEFU_FEEDBACK = {"nps_sample_percent": 10}
    chosen = [pk for pk in range(1, 5001) if nps.picked("kefu", date(2026, 6, 1), pk, 10)]
    assert 400 < len(chosen) < 600
    again = [pk for pk in range(1, 5001) if nps.picked("kefu", date(2026, 6, 1), pk, 10)]
    assert chosen == again
    july = [pk for pk in range(1, 5001) if nps.picked("kefu", date(2026, 7, 1), pk, 10)]
    assert july != chosen


def test_answer_once_range_and_forged_link(served, settings):
    settings.KEFU_FEEDBACK = {"nps_sample_percent": 100}
    nps.sample()
    survey = NpsSurvey.objects.first()
    for bad in (11, -1, "9.5", "", "十"):
        with pytest.raises(OutOfRange):
            nps.answer(survey, score=bad)
    assert nps.answer(survey, score=0).recorded
    assert not nps.answer(survey, score=10).recorded
    assert NpsSurvey.objects.get(pk=survey.pk).score == 0
    token = nps.token_for(survey)
    from kefu.feedback import services

    with pytest.raises(BadLink):  # a CSAT token is no NPS token (different salt)
        nps.survey_from_token(services.token_for(type("S", (), {"pk": survey.pk})()))
    with pytest.raises(BadLink):
        nps.survey_from_token(token[:-2])


def test_nps_page(client, served, settings):
    settings.KEFU_FEEDBACK = {"nps_sample_percent": 100}
    nps.sample()
    survey = NpsSurvey.objects.first()
    path = nps.link_for(survey).split("://", 1)[1]
    path = "/" + path.split("/", 1)[1]
    assert client.post(path, {"score": "11"}).status_code == 422
    done = client.post(path, {"score": "9"})
    assert done.status_code == 200 and "Your score: 9 of 10." in done.content.decode()
    assert NpsSurvey.objects.get(pk=survey.pk).score == 9
