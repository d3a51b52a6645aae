"""The feedback metrics on hand-computed fixtures (core.metrics.compute, the way every reader asks)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kefu.core import metrics
from kefu.feedback import nps, product, services
from kefu.feedback.models import NpsSurvey, ProductFeedback, Survey
from kefu.tickets.models import Channel
from tests.clock import SHANGHAI

D8, D9, D10 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def answered(solved, customer_y):
    """Five surveys sent on 8 June; answers: 8 June 5, 4, 2 (email); 9 June 23:59 5 (chat);
    10 June 00:00:30 3 (email, outside a window ending on the 9th); one never answered."""
    tickets = [solved(subject=f"问题 {i}") for i in range(4)] + [solved(customer_y, channel=Channel.CHAT)]
    surveys = [Survey.objects.get(ticket=t) for t in tickets]
    plan = [
        (5, _at(D8, 9)),
        (4, _at(D8, 12)),
        (2, _at(D8, 23, 59)),
        (3, datetime(2026, 6, 10, 0, 0, 30, tzinfo=SHANGHAI)),
        (5, _at(D9, 23, 59)),
    ]
    for survey, (score, when) in zip(surveys, plan, strict=True):
        if score == 3:
            continue
        services.answer(survey, score=score)
        Survey.objects.filter(pk=survey.pk).update(answered_at=when)
    services.answer(surveys[3], score=3)
    Survey.objects.filter(pk=surveys[3].pk).update(answered_at=plan[3][1])
    extra = solved(subject="没人回答")
    Survey.objects.filter(pk__in=[s.pk for s in surveys] + [extra.csat_survey.pk]).update(sent_at=_at(D8, 8))
    return tickets


def test_csat_share_of_4_and_5(answered):
    assert metrics.total("csat", start=D8, end=D9) == pytest.approx(75.0)  # 3 of 4
    assert metrics.total("csat", start=D8, end=D8) == pytest.approx(200 / 3)  # 2 of 3
    assert metrics.total("csat", start=D10, end=D10) == 0.0  # the 3 given at 00:00:30 on the 10th
    daily = metrics.compute("csat", start=D8, end=D9, grain="day")
    assert [(p.bucket, p.num, p.den) for p in daily.points] == [(D8, 2, 3), (D9, 1, 1)]


def test_very_satisfied_share_of_5(answered):
    assert metrics.total("csat_very_satisfied", start=D8, end=D9) == pytest.approx(50.0)  # 2 of 4


def test_cut_by_channel_and_filtered(answered):
    by = metrics.compute("csat", start=D8, end=D9, by="channel")
    assert {p.group: (p.num, p.den) for p in by.points} == {"email": (2, 3), "chat": (1, 1)}
    only_chat = metrics.total("csat", start=D8, end=D9, filters={"channel": ["chat"]})
    assert only_chat == pytest.approx(100.0)


def test_response_rate_by_sent_day(answered):
    # six sent on the 8th, five answered (the 10th's answer counts for the day it was sent)
    assert metrics.total("csat_response_rate", start=D8, end=D8) == pytest.approx(500 / 6)


def test_drill_gives_the_tickets(answered):
    metric = metrics.get("csat")
    win = metrics.window(D9, D9)
    assert list(metric.drill(win, None, None)) == [answered[4]]
    win = metrics.window(D8, D9)
    assert set(metric.drill(win, "channel", "email")) == set(answered[:3])


@pytest.mark.now("2026-06-10 10:00")
def test_nps_promoters_minus_detractors(customer_x, customer_y, db):
    from tests.factories import CustomerFactory

    people = [customer_x, customer_y] + [CustomerFactory(email=f"p{i}@example.cn") for i in range(4)]
    for person, score in zip(people, (10, 9, 7, 3, 0, 9), strict=True):
        survey = NpsSurvey.objects.create(
            customer=person, period=D8.replace(day=1), created_at=_at(D8, 8), expires_at=_at(D10, 23)
        )
        nps.answer(survey, score=score)
        NpsSurvey.objects.filter(pk=survey.pk).update(answered_at=_at(D9, 10))
    # promoters 3 (10, 9, 9), detractors 2 (3, 0), 6 answers: (3 − 2) × 100 ÷ 6
    assert metrics.total("nps", start=D9, end=D9) == pytest.approx(100 / 6)
    assert nps.trend(months=1)[0]["nps"] == pytest.approx(16.7)


def test_product_feedback_accuracy(solved, agent_li, lead_zhao):
    tickets = [solved(subject=f"建议 {i}") for i in range(4)]
    items = [product.tag(message=t.messages.first(), area="app", by=agent_li) for t in tickets]
    for item, accurate in zip(items[:3], (True, True, False), strict=True):
        product.review(item=item, accurate=accurate, by=lead_zhao)
    ProductFeedback.objects.filter(pk__in=[i.pk for i in items]).update(reviewed_at=_at(D9, 11))
    # two accurate of three reviewed; the fourth is not reviewed yet
    assert metrics.total("product_feedback_accuracy", start=D9, end=D9) == pytest.approx(200 / 3)
    drill = metrics.get("product_feedback_accuracy").drill(metrics.window(D9, D9), None, None)
    assert set(drill) == set(tickets[:3])


def test_keys_are_registered():
    keys = {m.key for m in metrics.all_metrics()}
    assert {"csat", "csat_very_satisfied", "csat_response_rate", "nps", "product_feedback_accuracy"} <= keys
