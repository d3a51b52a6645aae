"""Reviews: a reviewer scores a ticket beside its conversation; the agent acknowledges or disputes;
a supervisor settles a dispute; calibration sessions; coaching notes.

One review per (ticket, reviewer) — per (calibration session, reviewer) inside a session — so
reviewing the same ticket again edits the first review. Changes are compare-and-set on `version`
and `status`, each in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.accounts.services import notify
from kefu.core.clock import now
from kefu.tickets.models import Message, Ticket

from . import access, checks
from .errors import BadScorecard, IncompleteReview, NotFound, ReviewLocked, ValidationFailed
from .models import (
    CalibrationSession,
    CoachingNote,
    Dispute,
    DisputeStatus,
    Review,
    ReviewComment,
    ReviewStatus,
    Sample,
    Scorecard,
)
from .scoring import ScoreResult, ScoringError, score

TEXT_MAX = 4000
EDITABLE = frozenset({ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.ACKNOWLEDGED})


def _text(value: Any, *, field: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(_("At most %(n)d characters.") % {"n": TEXT_MAX}, field=field)
    return text


def _usable(scorecard: Scorecard) -> Scorecard:
    items = list(scorecard.items.all())
    if not items or sum(i.weight for i in items) != 100:
        raise BadScorecard(
            _("This scorecard cannot score: its weights must add up to 100."), field="scorecard"
        )
    return scorecard


def open_review(
    ticket: Ticket,
    *,
    by: User,
    scorecard: Scorecard | None = None,
    calibration: CalibrationSession | None = None,
) -> Review:
    """The reviewer's review of this ticket (created as a draft the first time; the same reviewer
    opening it again gets the same review). Runs the automatic reply checks."""
    if not access.can_review(by):
        raise NotFound(_("Ticket not found."))
    if calibration is not None:
        if not calibration.reviewers.filter(pk=by.pk).exists():
            raise NotFound(_("Calibration session not found."))
        ticket, scorecard = calibration.ticket, calibration.scorecard
    checks.run(ticket)
    found = Review.objects.filter(ticket=ticket, reviewer=by, calibration=calibration).first()
    if found is not None:
        return found
    if scorecard is None:
        scorecard = Scorecard.objects.filter(active=True).order_by("pk").first()
        if scorecard is None:
            raise BadScorecard(_("There is no active scorecard yet."), field="scorecard")
    _usable(scorecard)
    sample = (
        None if calibration is not None else Sample.objects.filter(ticket=ticket).order_by("-week").first()
    )
    try:
        with transaction.atomic():
            return Review.objects.create(
                ticket=ticket,
                reviewer=by,
                agent_id=ticket.assignee_id or ticket.first_contact_owner_id,
                scorecard=scorecard,
                sample=sample,
                calibration=calibration,
                created_at=now(),
            )
    except IntegrityError:  # the same reviewer opened it twice at once
        return Review.objects.get(ticket=ticket, reviewer=by, calibration=calibration)


def rescore(review: Review, answers: Mapping[Any, object]) -> ScoreResult:
    try:
        return score(review.scorecard, answers)
    except ScoringError as exc:
        field = f"answers.{exc.item_id}" if exc.item_id is not None else "answers"
        raise ValidationFailed(
            _("An answer does not fit its item: %(e)s") % {"e": exc}, field=field
        ) from None


def _stored(result: ScoreResult) -> tuple[dict[str, object], dict[str, object]]:
    answers = {str(k): v.value for k, v in result.items.items() if v.value is not None}
    earned = {str(k): (float(v.earned) if v.earned is not None else None) for k, v in result.items.items()}
    return answers, earned


def save_review(
    review: Review,
    *,
    by: User,
    answers: Mapping[Any, object],
    summary: str = "",
    submit: bool = False,
    version: int | None = None,
) -> Review:
    """Save the answers (and submit them to the agent): the reviewer only, while not disputed."""
    if review.reviewer_id != by.pk:
        raise NotFound(_("Review not found."))
    if not isinstance(answers, Mapping):
        raise ValidationFailed(_("Answers must be an object of item id → answer."), field="answers")
    result = rescore(review, answers)
    summary = _text(summary, field="summary")
    if submit and result.missing:
        raise IncompleteReview(
            _("Answer every item before submitting (%(n)d left).") % {"n": len(result.missing)},
            field=f"answers.{result.missing[0]}",
        )
    stored_answers, earned = _stored(result)
    status = review.status
    if submit or status != ReviewStatus.DRAFT:
        status = ReviewStatus.SUBMITTED
    with transaction.atomic():
        qs = Review.objects.filter(pk=review.pk, status__in=list(EDITABLE))
        if version is not None:
            qs = qs.filter(version=version)
        won = qs.update(
            answers=stored_answers,
            item_scores=earned,
            total=result.total if not result.missing else None,
            zeroed_by_critical=result.zeroed_by_critical,
            summary=summary,
            status=status,
            submitted_at=now() if status == ReviewStatus.SUBMITTED else None,
            acknowledged_at=None,
            version=review.version + 1 if version is None else version + 1,
        )
        if not won:
            raise ReviewLocked(_("This review changed meanwhile or is disputed; reload it."), field="version")
    review.refresh_from_db()
    if review.status == ReviewStatus.SUBMITTED and review.calibration_id is None and review.agent_id:
        notify(
            User.objects.filter(pk=review.agent_id),
            kind="quality.review",
            text=_("Quality review of %(n)s: %(s)s points") % {"n": review.ticket.number, "s": review.total},
            url=reverse("quality:mine"),
            dedupe_key=f"quality.review.{review.pk}.{review.version}",
        )
    return review


def add_comment(review: Review, *, by: User, text: str, message_id: int | None = None) -> ReviewComment:
    """A reviewer's comment on one message of the conversation (or the whole review)."""
    if review.reviewer_id != by.pk:
        raise NotFound(_("Review not found."))
    text = _text(text, field="text", required=True)
    message = None
    if message_id is not None:
        message = Message.objects.filter(pk=message_id, ticket_id=review.ticket_id).first()
        if message is None:
            raise ValidationFailed(_("That message is not part of this ticket."), field="message_id")
    return ReviewComment.objects.create(
        review=review, message=message, author=by, text=text, created_at=now()
    )


def _agent_only(review: Review, by: User) -> None:
    if review.agent_id != by.pk or review.calibration_id is not None or review.status == ReviewStatus.DRAFT:
        raise NotFound(_("Review not found."))


@transaction.atomic
def acknowledge(review: Review, *, by: User) -> Review:
    _agent_only(review, by)
    won = Review.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED).update(
        status=ReviewStatus.ACKNOWLEDGED, acknowledged_at=now()
    )
    if not won:
        raise ReviewLocked(_("Only a review awaiting you can be acknowledged."), field="status")
    review.refresh_from_db()
    return review


def dispute(review: Review, *, by: User, reason: str) -> Dispute:
    """The agent disputes a submitted review with a reason; supervisors are notified."""
    _agent_only(review, by)
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        won = Review.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED).update(
            status=ReviewStatus.DISPUTED
        )
        if not won or Dispute.objects.filter(review=review).exists():
            raise ReviewLocked(_("Only a review awaiting you can be disputed, once."), field="status")
        row = Dispute.objects.create(
            review=review, raised_by=by, reason=reason, raised_at=now(), original_total=review.total
        )
    notify(
        User.objects.filter(role__in=[Role.SUPERVISOR], is_active=True),
        kind="quality.dispute",
        text=_("%(a)s disputes the quality review of %(n)s") % {"a": by.name, "n": review.ticket.number},
        url=reverse("quality:disputes"),
        dedupe_key=f"quality.dispute.{row.pk}",
    )
    return row


def settle(
    row: Dispute,
    *,
    by: User,
    outcome: str,
    note: str,
    answers: Mapping[Any, object] | None = None,
) -> Dispute:
    """A supervisor settles a dispute: upheld (score stays) or changed (new answers, rescored)."""
    if not access.can_manage(by):
        raise NotFound(_("Dispute not found."))
    if outcome not in (DisputeStatus.UPHELD, DisputeStatus.CHANGED):
        raise ValidationFailed(_("Settle as upheld or changed."), field="outcome")
    note = _text(note, field="note", required=True)
    review = row.review
    changes: dict[str, object] = {"status": ReviewStatus.SETTLED}
    if outcome == DisputeStatus.CHANGED:
        if not isinstance(answers, Mapping) or not answers:
            raise ValidationFailed(_("Give the changed answers."), field="answers")
        merged = {**review.answers, **{str(k): v for k, v in answers.items()}}
        result = rescore(review, merged)
        if result.missing:
            raise IncompleteReview(_("Answer every item."), field=f"answers.{result.missing[0]}")
        stored_answers, earned = _stored(result)
        changes.update(
            answers=stored_answers,
            item_scores=earned,
            total=result.total,
            zeroed_by_critical=result.zeroed_by_critical,
        )
    with transaction.atomic():
        won = Dispute.objects.filter(pk=row.pk, status=DisputeStatus.OPEN).update(
            status=outcome, settled_by=by, settled_at=now(), note=note
        )
        if not won:
            raise ReviewLocked(_("This dispute is already settled."), field="status")
        Review.objects.filter(pk=review.pk).update(version=review.version + 1, **changes)
    row.refresh_from_db()
    review.refresh_from_db()
    if review.agent_id:
        notify(
            User.objects.filter(pk=review.agent_id),
            kind="quality.settled",
            text=_("Your dispute of %(n)s was settled: %(o)s")
            % {"n": review.ticket.number, "o": row.get_status_display()},
            url=reverse("quality:mine"),
            dedupe_key=f"quality.settled.{row.pk}",
        )
    return row


def add_coaching_note(
    review: Review, *, by: User, text: str, follow_up_on: date | None = None
) -> CoachingNote:
    if not access.can_review(by) or review.agent_id is None or review.calibration_id is not None:
        raise NotFound(_("Review not found."))
    text = _text(text, field="text", required=True)
    return CoachingNote.objects.create(
        review=review,
        agent_id=review.agent_id,
        author=by,
        text=text,
        follow_up_on=follow_up_on,
        created_at=now(),
    )


def create_calibration(
    *, by: User, ticket: Ticket, scorecard: Scorecard, reviewers: Iterable[User], title: str = ""
) -> CalibrationSession:
    if not access.can_manage(by):
        raise NotFound(_("Calibration session not found."))
    _usable(scorecard)
    people = [r for r in {r.pk: r for r in reviewers}.values() if access.can_review(r)]
    if len(people) < 2:
        raise ValidationFailed(_("A calibration session needs at least two reviewers."), field="reviewers")
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            title=_text(title, field="title")[:200] or _("Calibration %(n)s") % {"n": ticket.number},
            ticket=ticket,
            scorecard=scorecard,
            created_by=by,
            created_at=now(),
        )
        session.reviewers.set(people)
    notify(
        people,
        kind="quality.calibration",
        text=_("Calibration session: %(t)s") % {"t": session.title},
        url=reverse("quality:calibration", args=[session.pk]),
        dedupe_key=f"quality.calibration.{session.pk}",
    )
    return session
