"""Scenario tests: scripted customer turns from a case, the trainee answers each turn, a reviewer
scores the conversation with a QA scorecard (quality's scoring, reused: no second scorecard)."""

from __future__ import annotations

import pytest

from kefu.quality.models import Scorecard, ScorecardItem
from kefu.training import services
from kefu.training.errors import ValidationFailed


@pytest.fixture
def card(db):
    card = Scorecard.objects.create(name="情景测试评分表")
    ScorecardItem.objects.create(scorecard=card, section="开场", text="问候并自报姓名", weight=20, position=1)
    ScorecardItem.objects.create(
        scorecard=card, section="共情", text="先安抚情绪", weight=50, kind="scale", position=2
    )
    ScorecardItem.objects.create(
        scorecard=card, section="结束", text="给出明确处理时间", weight=30, critical=True, position=3
    )
    return card


@pytest.fixture
def scenario(card, case_article):
    return services.create_assessment(
        title="情景测试：愤怒的客户",
        kind="scenario",
        pass_mark=95,
        case_id=case_article.pk,
        scorecard_id=card.pk,
        turns=["你们的快递三天都没动，我要投诉！", "我不想听解释，什么时候能到？"],
    )


def test_scenario_needs_turns_and_a_scorecard(card, case_article):
    with pytest.raises(ValidationFailed) as err:
        services.create_assessment(title="x", kind="scenario", pass_mark=90, turns=[], scorecard_id=card.pk)
    assert err.value.field == "turns"
    with pytest.raises(ValidationFailed) as err:
        services.create_assessment(title="x", kind="scenario", pass_mark=90, turns=["你好"])
    assert err.value.field == "scorecard_id"


def test_trainee_answers_each_turn_and_reviewer_scores_with_the_scorecard(scenario, card, newbie, lead_zhao):
    attempt = services.start_attempt(scenario, by=newbie)
    t1, t2 = scenario.turns.all()
    with pytest.raises(ValidationFailed) as err:
        services.submit_attempt(attempt, answers={f"t{t1.pk}": "您好"}, by=newbie)
    assert err.value.field == f"answers.t{t2.pk}"
    waiting = services.submit_attempt(
        attempt,
        answers={
            f"t{t1.pk}": "您好，我是小陈，非常理解您的心情。",
            f"t{t2.pk}": "我马上催件，今天18点前给您答复。",
        },
        by=newbie,
    )
    assert waiting.status == "marking"
    greet, empathy, close = card.items.all()
    # 20 + 50 × (4−1)/4 + 30 = 87.5 < 95: failed
    marked = services.mark_attempt(
        waiting, marks={str(greet.pk): "yes", str(empathy.pk): 4, str(close.pk): "yes"}, by=lead_zhao
    )
    assert (marked.status, marked.score) == ("failed", 87.5)
    retake = services.start_attempt(scenario, by=newbie)
    services.submit_attempt(retake, answers={f"t{t1.pk}": "您好", f"t{t2.pk}": "今天给您答复"}, by=newbie)
    with pytest.raises(ValidationFailed):
        services.mark_attempt(retake, marks={str(greet.pk): "yes"}, by=lead_zhao)  # every item
    with pytest.raises(ValidationFailed):
        services.mark_attempt(
            retake, marks={str(greet.pk): "maybe", str(empathy.pk): 5, str(close.pk): "yes"}, by=lead_zhao
        )
    passed = services.mark_attempt(
        retake, marks={str(greet.pk): "yes", str(empathy.pk): 5, str(close.pk): "yes"}, by=lead_zhao
    )
    assert (passed.status, passed.score, passed.number) == ("passed", 100.0, 2)
