"""Question banks: choices marked at once, short answers by a reviewer; pass marks and retakes."""

from __future__ import annotations

import pytest

from kefu.training import services
from kefu.training.errors import AlreadySubmitted, Conflict, NoAttemptsLeft, ValidationFailed
from kefu.training.models import Attempt


def _answers(quiz, first, second):
    q1, q2 = quiz.questions.all()
    return {f"q{q1.pk}": first, f"q{q2.pk}": second}


def test_choice_bank_is_marked_at_once(quiz, agent_li):
    attempt = services.start_attempt(quiz, by=agent_li)
    done = services.submit_attempt(attempt, answers=_answers(quiz, 1, [0, 2]), by=agent_li)
    assert (done.status, done.score) == ("passed", 100.0)


def test_half_right_fails_then_retake_then_no_attempts_left(quiz, agent_li):
    first = services.start_attempt(quiz, by=agent_li)
    failed = services.submit_attempt(
        first, answers=_answers(quiz, 1, [0]), by=agent_li
    )  # multiple: all or nothing
    assert (failed.status, failed.score) == ("failed", 50.0)
    second = services.start_attempt(quiz, by=agent_li)
    assert second.number == 2
    services.submit_attempt(second, answers=_answers(quiz, 0, [0]), by=agent_li)
    with pytest.raises(NoAttemptsLeft):
        services.start_attempt(quiz, by=agent_li)  # max_attempts=2


def test_passed_once_no_retake(quiz, agent_li):
    services.submit_attempt(
        services.start_attempt(quiz, by=agent_li), answers=_answers(quiz, 1, [0, 2]), by=agent_li
    )
    with pytest.raises(Conflict) as err:
        services.start_attempt(quiz, by=agent_li)
    assert err.value.code == "already_passed"


def test_bad_answers_are_refused_with_the_field(quiz, agent_li):
    attempt = services.start_attempt(quiz, by=agent_li)
    q1, _q2 = quiz.questions.all()
    with pytest.raises(ValidationFailed) as err:
        services.submit_attempt(attempt, answers={f"q{q1.pk}": 9}, by=agent_li)
    assert err.value.field == f"answers.q{q1.pk}"
    with pytest.raises(ValidationFailed):
        services.submit_attempt(attempt, answers={f"q{q1.pk}": "abc"}, by=agent_li)
    assert Attempt.objects.get().status == "open"


def test_short_answer_waits_for_a_reviewer(short_quiz, agent_li, lead_zhao):
    attempt = services.start_attempt(short_quiz, by=agent_li)
    single, short = short_quiz.questions.all()
    waiting = services.submit_attempt(
        attempt,
        answers={f"q{single.pk}": 0, f"q{short.pk}": "非常理解您的心情，我马上为您处理。"},
        by=agent_li,
    )
    assert waiting.status == "marking" and waiting.score is None
    with pytest.raises(ValidationFailed):
        services.mark_attempt(waiting, marks={}, by=lead_zhao)
    with pytest.raises(ValidationFailed):
        services.mark_attempt(waiting, marks={f"q{short.pk}": 2}, by=agent_li)  # not their own
    with pytest.raises(ValidationFailed):
        services.mark_attempt(waiting, marks={f"q{short.pk}": 4}, by=lead_zhao)  # worth 3
    marked = services.mark_attempt(waiting, marks={f"q{short.pk}": 2}, by=lead_zhao, note="不错")
    # 1 + 2 of 4 points = 75 % ≥ 60 %
    assert (marked.status, marked.score, marked.reviewer) == ("passed", 75.0, lead_zhao)
    with pytest.raises(AlreadySubmitted):
        services.mark_attempt(waiting, marks={f"q{short.pk}": 0}, by=lead_zhao)
