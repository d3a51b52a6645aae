"""REST endpoints of the quality app (mounted at /api/quality/): scorecards, the review queue,
reviews, acknowledgements, disputes and their settlement, calibration spreads.

Access: reviewers (QA, supervisors, administrators) review; an agent sees only their own submitted
reviews; scorecards and disputes are settled by supervisors. Anything not yours answers 404 as if
missing. Errors: 404 `not_found`; 422 `bad_scorecard` (no items, weights not adding up to 100),
`incomplete_review` (submitting with unanswered items), `invalid` (a bad answer, an empty reason);
409 `review_locked` (a stale `version`, a disputed or settled review, a second acknowledgement)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from . import selectors, services
from .errors import NotFound

router = Router(tags=["quality"])


def _user(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_see_own(user):
        raise NotFound("Not found.")
    return user


def _reviewer(request: HttpRequest) -> Any:
    user = _user(request)
    if not selectors.can_review(user):
        raise NotFound("Not found.")
    return user


class QaItemIn(Schema):
    id: int | None = Field(None, description="keep an existing item (its reviews keep their answers)")
    section: str
    text: str
    weight: int = Field(description="1–100; the items' weights add up to 100")
    kind: str = Field("yes_no", description="yes_no or scale (1–5)")
    critical: bool = Field(False, description="answered no (or 1) → the whole score is 0")


class QaScorecardIn(Schema):
    name: str
    description: str = ""
    active: bool = True
    items: list[QaItemIn]


class QaItemOut(Schema):
    id: int
    section: str
    text: str
    weight: int
    kind: str
    critical: bool


class QaScorecardOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    sections: list[str]
    items: list[QaItemOut]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())


class QaSampleOut(Schema):
    id: int
    week: date
    ticket_id: int
    agent_id: int | None
    reviewer_id: int | None
    reasons: list[str]
    review_id: int | None = None
    review_status: str | None = None


class QaOpenIn(Schema):
    ticket_id: int
    scorecard_id: int | None = None


class QaDisputeOut(Schema):
    id: int
    review_id: int
    reason: str
    raised_at: datetime
    status: str = Field(description="open, upheld or changed")
    note: str
    original_total: Decimal | None
    settled_at: datetime | None


class QaCheckOut(Schema):
    message_id: int
    kind: str = Field(description="forbidden, template, no_greeting, no_closing")
    detail: str


class QaCommentOut(Schema):
    id: int
    message_id: int | None
    text: str
    created_at: datetime


class QaReviewOut(Schema):
    id: int
    ticket_id: int
    reviewer_id: int
    agent_id: int | None
    scorecard_id: int
    calibration_id: int | None
    status: str = Field(description="draft, submitted, acknowledged, disputed, settled")
    answers: dict[str, Any]
    item_scores: dict[str, float | None]
    total: Decimal | None
    zeroed_by_critical: bool
    summary: str
    version: int
    submitted_at: datetime | None


class QaReviewDetailOut(QaReviewOut):
    comments: list[QaCommentOut]
    checks: list[QaCheckOut]


class QaSaveIn(Schema):
    answers: dict[str, Any] = Field(description='{item id: "yes" | "no" | "na" | 1..5}')
    summary: str = ""
    submit: bool = False
    version: int | None = Field(None, description="the version you read; a stale one answers 409")


class QaCommentIn(Schema):
    text: str
    message_id: int | None = None


class QaReasonIn(Schema):
    reason: str


class QaSettleIn(Schema):
    outcome: str = Field(description="upheld or changed")
    note: str
    answers: dict[str, Any] | None = Field(None, description="changed answers (outcome changed)")


class QaCoachingIn(Schema):
    text: str
    follow_up_on: date | None = None


class QaCoachingOut(Schema):
    id: int
    review_id: int
    agent_id: int
    text: str
    follow_up_on: date | None


class QaSpreadOut(Schema):
    label: str
    item_id: int | None
    values: list[float]
    minimum: float | None
    maximum: float | None
    stddev: float | None


class QaCalibrationOut(Schema):
    id: int
    title: str
    ticket_id: int
    scorecard_id: int
    reviews: list[QaReviewOut]
    items: list[QaSpreadOut]
    total: QaSpreadOut


def _detail(review: Any) -> dict[str, Any]:
    lines = selectors.conversation(review)
    data = QaReviewOut.from_orm(review).dict()
    data["comments"] = [c for line in lines for c in line.comments] + selectors.general_comments(review)
    data["checks"] = [c for line in lines for c in line.checks]
    return data


@router.get("/scorecards", response=list[QaScorecardOut], summary="Scorecards")
def list_scorecards(request: HttpRequest):
    return list(selectors.list_scorecards(_reviewer(request)))


@router.post("/scorecards", response={201: QaScorecardOut}, summary="Create a scorecard (supervisors)")
def create_scorecard(request: HttpRequest, body: QaScorecardIn):
    user = _reviewer(request)
    card = services.save_scorecard(by=user, **{**body.dict(), "items": [i.dict() for i in body.items]})
    return Status(201, card)


@router.put(
    "/scorecards/{scorecard_id}", response=QaScorecardOut, summary="Replace a scorecard (supervisors)"
)
def update_scorecard(request: HttpRequest, scorecard_id: int, body: QaScorecardIn):
    user = _reviewer(request)
    card = selectors.access_scorecard(user, scorecard_id)
    return services.save_scorecard(
        by=user, scorecard=card, **{**body.dict(), "items": [i.dict() for i in body.items]}
    )


@router.get("/queue", response=list[QaSampleOut], summary="My review queue (sampled tickets)")
def queue(request: HttpRequest, done: bool = False):
    entries = selectors.list_queue(_reviewer(request), include_done=done)
    return [
        QaSampleOut(
            id=e.sample.pk,
            week=e.sample.week,
            ticket_id=e.sample.ticket_id,
            agent_id=e.sample.agent_id,
            reviewer_id=e.sample.reviewer_id,
            reasons=list(e.sample.reasons),
            review_id=e.review.pk if e.review else None,
            review_status=e.review.status if e.review else None,
        )
        for e in entries
    ]


@router.post("/reviews", response=QaReviewDetailOut, summary="Open (or reopen) my review of a ticket")
def open_review(request: HttpRequest, body: QaOpenIn):
    user = _reviewer(request)
    ticket = selectors.access_ticket(user, body.ticket_id)
    scorecard = selectors.access_scorecard(user, body.scorecard_id) if body.scorecard_id else None
    return _detail(services.open_review(ticket, by=user, scorecard=scorecard))


@router.get("/reviews", response=list[QaReviewOut], summary="Reviews: an agent's own, or all (reviewers)")
def list_reviews(request: HttpRequest, mine: bool = False):
    user = _user(request)
    if mine or not selectors.can_review(user):
        return list(selectors.list_my_reviews(user)[:500])
    return list(selectors.visible_reviews(user).order_by("-pk")[:500])


@router.get(
    "/reviews/{review_id}", response=QaReviewDetailOut, summary="A review with its comments and checks"
)
def get_review(request: HttpRequest, review_id: int):
    return _detail(selectors.access_review(_user(request), review_id))


@router.put("/reviews/{review_id}", response=QaReviewOut, summary="Save (and submit) my review's answers")
def save_review(request: HttpRequest, review_id: int, body: QaSaveIn):
    user = _reviewer(request)
    review = selectors.access_own_review(user, review_id)
    return services.save_review(
        review, by=user, answers=body.answers, summary=body.summary, submit=body.submit, version=body.version
    )


@router.post("/reviews/{review_id}/comments", response={201: QaCommentOut}, summary="Comment on a message")
def comment(request: HttpRequest, review_id: int, body: QaCommentIn):
    user = _reviewer(request)
    review = selectors.access_own_review(user, review_id)
    return Status(201, services.add_comment(review, by=user, text=body.text, message_id=body.message_id))


@router.post(
    "/reviews/{review_id}/acknowledge", response=QaReviewOut, summary="The agent acknowledges a review"
)
def acknowledge(request: HttpRequest, review_id: int):
    user = _user(request)
    return services.acknowledge(selectors.access_review(user, review_id), by=user)


@router.post(
    "/reviews/{review_id}/dispute", response={201: QaDisputeOut}, summary="The agent disputes a review"
)
def dispute(request: HttpRequest, review_id: int, body: QaReasonIn):
    user = _user(request)
    return Status(
        201, services.dispute(selectors.access_review(user, review_id), by=user, reason=body.reason)
    )


@router.post("/reviews/{review_id}/coaching", response={201: QaCoachingOut}, summary="Add a coaching note")
def coaching(request: HttpRequest, review_id: int, body: QaCoachingIn):
    user = _reviewer(request)
    review = selectors.access_review(user, review_id)
    return Status(
        201, services.add_coaching_note(review, by=user, text=body.text, follow_up_on=body.follow_up_on)
    )


@router.get(
    "/disputes", response=list[QaDisputeOut], summary="Disputes (supervisors; open ones unless all=1)"
)
def list_disputes(request: HttpRequest, all: bool = False):  # noqa: A002
    user = _user(request)
    if not selectors.can_manage(user):
        raise NotFound("Not found.")
    return list(selectors.list_disputes(user, open_only=not all)[:500])


@router.post("/disputes/{dispute_id}/settle", response=QaDisputeOut, summary="Settle a dispute (supervisors)")
def settle(request: HttpRequest, dispute_id: int, body: QaSettleIn):
    user = _user(request)
    row = selectors.access_dispute(user, dispute_id)
    return services.settle(row, by=user, outcome=body.outcome, note=body.note, answers=body.answers)


@router.get("/calibrations/{session_id}", response=QaCalibrationOut, summary="A calibration session's spread")
def calibration(request: HttpRequest, session_id: int):
    session = selectors.access_calibration(_reviewer(request), session_id)
    reviews, items, totals = selectors.calibration_spread(session)

    def spread(s: Any) -> QaSpreadOut:
        return QaSpreadOut(
            label=str(s.label),
            item_id=s.item.pk if s.item else None,
            values=s.values,
            minimum=s.minimum,
            maximum=s.maximum,
            stddev=s.stddev,
        )

    return QaCalibrationOut(
        id=session.pk,
        title=session.title,
        ticket_id=session.ticket_id,
        scorecard_id=session.scorecard_id,
        reviews=[QaReviewOut.from_orm(r) for r in reviews],
        items=[spread(s) for s in items],
        total=spread(totals),
    )
