"""Assessments and attempts: question banks (single / multiple choice marked at once, short answers
by a reviewer) and scenario tests (scripted customer turns from a case, the trainee answers each in a
reply box, a reviewer scores the whole with a QA scorecard through `kefu.quality.scoring.score`).

Concurrency: one attempt in progress per trainee and assessment (a partial unique constraint; a
second start at once returns the same attempt) and a submit or a marking is a compare-and-set on the
status, so a double submit makes one submission and the other answers 409 `already_submitted`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.knowledge.models import Article, Kind

from . import courses
from .errors import AlreadySubmitted, Conflict, NoAttemptsLeft, ValidationFailed
from .models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptStatus,
    Question,
    QuestionKind,
    ScenarioTurn,
)


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    choices: list[str] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    points: int = 1


def _check_question(i: int, spec: QuestionSpec) -> Question:
    where = f"questions.{i}"
    if spec.kind not in QuestionKind.values:
        raise ValidationFailed(_("Unknown question kind."), field=f"{where}.kind")
    if not spec.text.strip():
        raise ValidationFailed(_("A question needs its text."), field=f"{where}.text")
    if not 1 <= spec.points <= 100:
        raise ValidationFailed(_("A question is worth 1 to 100 points."), field=f"{where}.points")
    if spec.kind != QuestionKind.SHORT:
        if len(spec.choices) < 2:
            raise ValidationFailed(
                _("A choice question needs at least two choices."), field=f"{where}.choices"
            )
        correct = sorted(set(spec.correct))
        if not correct or any(not 0 <= c < len(spec.choices) for c in correct):
            raise ValidationFailed(_("Name the correct choices by their index."), field=f"{where}.correct")
        if spec.kind == QuestionKind.SINGLE and len(correct) != 1:
            raise ValidationFailed(
                _("A single-choice question has one correct choice."), field=f"{where}.correct"
            )
    else:
        correct = []
    return Question(
        order=i + 1,
        kind=spec.kind,
        text=spec.text.strip(),
        choices=list(spec.choices),
        correct=correct,
        points=spec.points,
    )


@transaction.atomic
def create_assessment(
    *,
    title: str,
    kind: str,
    pass_mark: int | None,
    max_attempts: int = 3,
    questions: list[QuestionSpec] | None = None,
    turns: list[str] | None = None,
    case_id: int | None = None,
    scorecard_id: int | None = None,
) -> Assessment:
    """A question bank or a scenario test. No pass mark → refused (field pass_mark)."""
    if not (title or "").strip():
        raise ValidationFailed(_("An assessment needs a title."), field="title")
    if kind not in AssessmentKind.values:
        raise ValidationFailed(_("Unknown assessment kind."), field="kind")
    if pass_mark is None:
        raise ValidationFailed(_("An assessment needs a pass mark."), field="pass_mark")
    if not 1 <= pass_mark <= 100:
        raise ValidationFailed(_("The pass mark is a percentage from 1 to 100."), field="pass_mark")
    if not 1 <= max_attempts <= 20:
        raise ValidationFailed(_("Allow 1 to 20 attempts."), field="max_attempts")
    rows: list[Question] = []
    lines: list[str] = []
    case = None
    scorecard = None
    if kind == AssessmentKind.QUIZ:
        if not questions:
            raise ValidationFailed(_("A question bank needs at least one question."), field="questions")
        rows = [_check_question(i, q) for i, q in enumerate(questions)]
    else:
        lines = [t.strip() for t in (turns or []) if t and t.strip()]
        if case_id is not None:
            case = Article.objects.filter(pk=case_id, kind=Kind.CASE).first()
            if case is None:
                raise ValidationFailed(_("No such case in the case library."), field="case_id")
        if not lines:
            raise ValidationFailed(_("A scenario test needs at least one customer turn."), field="turns")
        scorecard = _scorecard(scorecard_id)
    assessment = Assessment.objects.create(
        title=title.strip()[:200],
        kind=kind,
        pass_mark=pass_mark,
        max_attempts=max_attempts,
        case=case,
        **({"scorecard": scorecard} if scorecard is not None else {}),
    )
    for q in rows:
        q.assessment = assessment
    Question.objects.bulk_create(rows)
    ScenarioTurn.objects.bulk_create(
        ScenarioTurn(assessment=assessment, order=i, customer_text=t) for i, t in enumerate(lines, start=1)
    )
    return assessment


def _scorecard(scorecard_id: int | None) -> Any:
    from kefu.quality import scoring
    from kefu.quality.models import Scorecard

    card = Scorecard.objects.filter(pk=scorecard_id, active=True).first() if scorecard_id else None
    if card is None:
        raise ValidationFailed(
            _("A scenario test is scored with an active QA scorecard."), field="scorecard_id"
        )
    if scoring.weight_problems(card.items.all()):
        raise ValidationFailed(_("That scorecard's weights do not add up to 100."), field="scorecard_id")
    return card


def start_attempt(assessment: Assessment, *, by: User) -> Attempt:
    """The trainee's attempt in progress, or a new one (a retake after a failed attempt).

    Two starts at once make one attempt: the loser of the unique constraint returns the winner's."""
    open_one = Attempt.objects.filter(assessment=assessment, user=by, status=AttemptStatus.OPEN).first()
    if open_one is not None:
        return open_one
    earlier = list(Attempt.objects.filter(assessment=assessment, user=by).values_list("status", flat=True))
    if AttemptStatus.PASSED in earlier:
        raise Conflict(_("You have passed this assessment already."), code="already_passed")
    if AttemptStatus.MARKING in earlier:
        raise Conflict(_("Your last attempt is awaiting review."), code="awaiting_review")
    if len(earlier) >= assessment.max_attempts:
        raise NoAttemptsLeft(_("No attempts left (%(n)d allowed).") % {"n": assessment.max_attempts})
    number = (Attempt.objects.filter(assessment=assessment, user=by).aggregate(m=Max("number"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            return Attempt.objects.create(assessment=assessment, user=by, number=number, started_at=now())
    except IntegrityError:
        winner = Attempt.objects.filter(assessment=assessment, user=by, status=AttemptStatus.OPEN).first()
        if winner is None:
            raise AlreadySubmitted(_("This attempt was submitted already.")) from None
        return winner


def _choice_answer(q: Question, value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    try:
        picked = sorted({int(v) for v in values if v is not None and v != ""})
    except (TypeError, ValueError):
        raise ValidationFailed(_("Answer with the index of a choice."), field=f"answers.q{q.pk}") from None
    if any(not 0 <= p < len(q.choices) for p in picked):
        raise ValidationFailed(_("No such choice."), field=f"answers.q{q.pk}")
    if q.kind == QuestionKind.SINGLE and len(picked) > 1:
        raise ValidationFailed(_("Pick one choice."), field=f"answers.q{q.pk}")
    return picked


def _result(attempt: Attempt, score: float) -> str:
    return AttemptStatus.PASSED if score >= attempt.assessment.pass_mark else AttemptStatus.FAILED


def _finish(attempt: Attempt, *, from_status: str, **changes: Any) -> Attempt:
    with transaction.atomic():
        won = Attempt.objects.filter(pk=attempt.pk, status=from_status).update(**changes)
        if not won:
            raise AlreadySubmitted(
                _("This attempt was submitted already.")
                if from_status == AttemptStatus.OPEN
                else _("This attempt was marked already.")
            )
        if changes.get("status") == AttemptStatus.PASSED:
            courses.on_attempt_passed(user_id=attempt.user_id, assessment_id=attempt.assessment_id)
    attempt.refresh_from_db()
    return attempt


def submit_attempt(attempt: Attempt, *, answers: dict[str, Any], by: User) -> Attempt:
    """Hand in answers. Choice-only banks are marked at once; short answers and scenario replies wait
    for a reviewer. Keys: "q<question id>" (index, list of indexes or text), "t<turn id>" (reply)."""
    if by.pk != attempt.user_id:
        raise ValidationFailed(_("Only the trainee submits their attempt."))
    if attempt.status != AttemptStatus.OPEN:
        raise AlreadySubmitted(_("This attempt was submitted already."))
    assessment = attempt.assessment
    clean: dict[str, Any] = {}
    marks: dict[str, float] = {}
    needs_review = False
    if assessment.kind == AssessmentKind.SCENARIO:
        for turn in assessment.turns.all():
            reply = str(answers.get(f"t{turn.pk}", "") or "").strip()
            if not reply:
                raise ValidationFailed(_("Answer every customer turn."), field=f"answers.t{turn.pk}")
            clean[f"t{turn.pk}"] = reply[:4000]
        needs_review = True
    else:
        for q in assessment.questions.all():
            key = f"q{q.pk}"
            if q.kind == QuestionKind.SHORT:
                text = str(answers.get(key, "") or "").strip()
                if not text:
                    raise ValidationFailed(_("Answer every question."), field=f"answers.{key}")
                clean[key] = text[:4000]
                needs_review = True
                continue
            picked = _choice_answer(q, answers.get(key))
            if not picked:
                raise ValidationFailed(_("Answer every question."), field=f"answers.{key}")
            clean[key] = picked
            marks[key] = float(q.points) if picked == sorted(q.correct) else 0.0
    changes: dict[str, Any] = {"answers": clean, "marks": marks, "submitted_at": now()}
    if needs_review:
        changes["status"] = AttemptStatus.MARKING
    else:
        total = sum(q.points for q in assessment.questions.all())
        score = round(100.0 * sum(marks.values()) / total, 1)
        changes.update(score=score, status=_result(attempt, score), marked_at=now())
    return _finish(attempt, from_status=AttemptStatus.OPEN, **changes)


def mark_attempt(attempt: Attempt, *, marks: dict[str, Any], by: User, note: str = "") -> Attempt:
    """A reviewer marks an attempt awaiting review.

    Question bank: `marks` = {"q<id>": points} for each short answer (0..the question's points).
    Scenario test: `marks` = {scorecard item id: "yes" | "no" | "na" | 1..5}, scored by quality."""
    if by.pk == attempt.user_id:
        raise ValidationFailed(_("Nobody marks their own attempt."))
    if attempt.status != AttemptStatus.MARKING:
        raise AlreadySubmitted(_("This attempt was marked already."))
    assessment = attempt.assessment
    if assessment.kind == AssessmentKind.SCENARIO:
        score, stored = _score_scenario(assessment, marks)
    else:
        stored = dict(attempt.marks)
        total = 0
        for q in assessment.questions.all():
            total += q.points
            if q.kind != QuestionKind.SHORT:
                continue
            key = f"q{q.pk}"
            try:
                points = float(marks[key])
            except (KeyError, TypeError, ValueError):
                raise ValidationFailed(_("Mark every short answer."), field=f"marks.{key}") from None
            if not 0 <= points <= q.points:
                raise ValidationFailed(_("Give 0 to %(n)d points.") % {"n": q.points}, field=f"marks.{key}")
            stored[key] = points
        score = round(100.0 * sum(stored.values()) / total, 1) if total else 0.0
    return _finish(
        attempt,
        from_status=AttemptStatus.MARKING,
        marks=stored,
        score=score,
        status=_result(attempt, score),
        reviewer=by,
        marked_at=now(),
        review_note=note[:4000],
    )


def _score_scenario(assessment: Assessment, marks: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from kefu.quality import scoring

    card = getattr(assessment, "scorecard", None)
    if card is None:
        raise ValidationFailed(_("This scenario test has no scorecard."), field="marks")
    try:
        result = scoring.score(card, marks)
    except scoring.ScoringError as err:
        field_name = f"marks.{err.item_id}" if err.item_id is not None else "marks"
        raise ValidationFailed(
            _("Answer yes, no or na, or 1 to 5, for each item."), field=field_name
        ) from None
    if result.missing:
        raise ValidationFailed(_("Answer every scorecard item."), field=f"marks.{result.missing[0]}")
    stored = {str(k): v.value for k, v in result.items.items()}
    return float(result.total), stored
