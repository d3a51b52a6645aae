"""REST endpoints of the feedback app (mounted at /api/feedback/).

Surveys follow the ticket access rules: a customer sees only their own, an agent those of the
tickets they may see (their teams'); anything else answers 404 like a missing one. An answer is
recorded once: a second one answers 409 `already_answered` with the first answer. A survey link's
token may be posted without logging in: a forged token answers 403 `bad_link`, an expired one 403
`expired`; a score out of range 422 `out_of_range`."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from . import nps, product, selectors, services
from .errors import AlreadyAnswered, NotFound, PermissionDenied
from .models import AnswerVia, Survey

router = Router(tags=["feedback"])


class SurveyOut(Schema):
    id: int
    ticket_id: int
    channel: str
    sent_at: datetime | None
    expires_at: datetime
    score: int | None = Field(description="1–5, empty until answered")
    comment: str
    reasons: list[str]
    answered_at: datetime | None
    answered_via: str


class SurveyAnswerIn(Schema):
    score: int | str = Field(description="1–5")
    comment: str = ""
    reasons: list[str] = Field(
        default_factory=list, description="speed, attitude, expertise, solution, process"
    )


class NpsAnswerIn(Schema):
    score: int | str = Field(description="0–10")
    comment: str = ""


class NpsOut(Schema):
    id: int
    period: date
    score: int | None
    answered_at: datetime | None


class NpsMonthOut(Schema):
    period: date
    asked: int
    answered: int
    promoters: int
    detractors: int
    nps: float | None


class TagIn(Schema):
    message_id: int
    area: str
    note: str = ""


class ReviewIn(Schema):
    accurate: bool


class ProductFeedbackOut(Schema):
    id: int
    ticket_id: int
    message_id: int
    area: str
    note: str
    review: str
    created_at: datetime
    reviewed_at: datetime | None


def _first(survey: Survey) -> AlreadyAnswered:
    return AlreadyAnswered(
        "This survey was already answered; the first answer stands.",
        score=survey.score,
        answered_at=survey.answered_at.isoformat() if survey.answered_at else None,
    )


@router.get("/surveys", response=list[SurveyOut], summary="Satisfaction surveys I may see")
def list_surveys(request: HttpRequest, answered: bool | None = None, ticket_id: int | None = None):
    qs = selectors.visible_surveys(request.auth)  # type: ignore[attr-defined]
    if answered is not None:
        qs = qs.filter(answered_at__isnull=not answered)
    if ticket_id is not None:
        qs = qs.filter(ticket_id=ticket_id)
    return list(qs.order_by("-created_at", "-pk")[:500])


@router.get("/surveys/{survey_id}", response=SurveyOut, summary="One satisfaction survey")
def get_survey(request: HttpRequest, survey_id: int):
    return selectors.access_survey(request.auth, survey_id)  # type: ignore[attr-defined]


@router.post("/surveys/{survey_id}/answer", response=SurveyOut, summary="Answer my survey (customers)")
def answer_survey(request: HttpRequest, survey_id: int, body: SurveyAnswerIn):
    user = request.auth  # type: ignore[attr-defined]
    survey = selectors.access_survey(user, survey_id)
    if not user.is_customer:
        raise PermissionDenied("Only the customer answers their survey.")
    done = services.answer(
        survey, score=body.score, comment=body.comment, reasons=body.reasons, via=AnswerVia.API, by=user
    )
    if not done.recorded:
        raise _first(done.survey)
    return done.survey


@router.post("/links/{token}/answer", response=SurveyOut, auth=None, summary="Answer through a mailed link")
def answer_link(request: HttpRequest, token: str, body: SurveyAnswerIn):
    done = services.answer_by_token(token, score=body.score, comment=body.comment, reasons=body.reasons)
    if not done.recorded:
        raise _first(done.survey)
    return done.survey


@router.post("/nps/links/{token}/answer", response=NpsOut, auth=None, summary="Answer an NPS question")
def answer_nps(request: HttpRequest, token: str, body: NpsAnswerIn):
    done = nps.answer(nps.survey_from_token(token), score=body.score, comment=body.comment)
    if not done.recorded:
        raise AlreadyAnswered(
            "This survey was already answered; the first answer stands.", score=done.survey.score
        )
    return done.survey


@router.get("/nps/trend", response=list[NpsMonthOut], summary="NPS per month (supervisors)")
def nps_trend(request: HttpRequest, months: int = 12):
    if not selectors.can_manage(request.auth):  # type: ignore[attr-defined]
        raise NotFound("Not found.")
    return nps.trend(months=max(1, min(months, 60)))


@router.get("/product", response=list[ProductFeedbackOut], summary="Product feedback (需求反馈) tags")
def list_product(request: HttpRequest, review: str | None = None):
    qs = selectors.visible_product_feedback(request.auth)  # type: ignore[attr-defined]
    if review is not None:
        qs = qs.filter(review=review)
    return list(qs.order_by("-created_at", "-pk")[:500])


@router.post("/product", response=ProductFeedbackOut, summary="Tag a message as product feedback")
def tag_message(request: HttpRequest, body: TagIn):
    from kefu.tickets.models import Message
    from kefu.tickets.selectors import visible_tickets

    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_work(user):
        raise NotFound("Not found.")
    message = Message.objects.filter(
        pk=body.message_id, ticket__in=visible_tickets(user).values("pk")
    ).first()
    if message is None:
        raise NotFound("Not found.")
    return product.tag(message=message, area=body.area, note=body.note, by=user)


@router.post("/product/{item_id}/review", response=ProductFeedbackOut, summary="Review a tag (supervisors)")
def review_product(request: HttpRequest, item_id: int, body: ReviewIn):
    user = request.auth  # type: ignore[attr-defined]
    item = selectors.access_product_feedback(user, item_id)
    return product.review(item=item, accurate=body.accurate, by=user)
