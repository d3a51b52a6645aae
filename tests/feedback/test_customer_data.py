"""A customer's data request reaches their survey answers (FAULTS D4): exported with the rest, and on
erasure their comments and reason tags go while the scores stay in last months' figures."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from kefu.core import metrics
from kefu.core.clock import now
from kefu.customers import privacy
from kefu.feedback.models import NpsSurvey, Survey
from kefu.tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.fault("D4"), pytest.mark.now("2026-06-10 10:00")]


@pytest.fixture
def answered(open_ticket, customer_x):
    ticket = open_ticket(customer_x, subject="耳机左边没声音")
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    at = now() - timedelta(days=3)
    Survey.objects.create(
        ticket=ticket,
        customer=customer_x,
        channel="email",
        created_at=at,
        expires_at=at + timedelta(days=14),
        score=2,
        comment="客服让我等了三天，我住在朝阳区某某路 1 号",
        reasons=["speed"],
        answered_at=at,
    )
    NpsSurvey.objects.create(
        customer=customer_x,
        period=date(2026, 6, 1),
        created_at=at,
        expires_at=at + timedelta(days=14),
        score=9,
        comment="会推荐给同事",
        answered_at=at,
    )
    return ticket


def test_the_export_lists_every_answer(answered, customer_x, lead_zhao):
    doc = json.loads(
        zipfile.ZipFile(io.BytesIO(privacy.export_customer(customer_x, by=lead_zhao))).read("customer.json")
    )
    assert doc["feedback"]["csat"][0]["comment"].startswith("客服让我等了三天")
    assert doc["feedback"]["csat"][0]["ticket"] == answered.number
    assert doc["feedback"]["nps"][0]["score"] == 9 and doc["feedback"]["nps"][0]["comment"] == "会推荐给同事"


def test_an_erasure_removes_the_words_and_keeps_the_scores(answered, customer_x, lead_zhao):
    month = {"start": date(2026, 6, 1), "end": date(2026, 6, 30)}
    csat_before = metrics.total("csat", **month)

    privacy.continue_erasure(privacy.request_erasure(customer_x, by=lead_zhao).pk)

    survey, nps = Survey.objects.get(), NpsSurvey.objects.get()
    assert (survey.comment, survey.reasons, survey.score) == ("", [], 2)
    assert (nps.comment, nps.score) == ("", 9)
    assert metrics.total("csat", **month) == csat_before
