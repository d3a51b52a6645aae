"""REST endpoints of the care app (mounted at /api/care/): callbacks, care tasks, referral report.

Callbacks follow the ticket access rules (one of a ticket you may not see answers 404); care
tasks are a supervisor's, or the agent's they are assigned to; generation and the report are for
supervisors. An outcome is recorded once: a second one answers 409 `already_worked`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from . import periods, referrals, selectors, services
from .errors import NotFound, PermissionDenied

router = Router(tags=["care"])


def _agent(request: HttpRequest):  # noqa: ANN202
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_work(user):
        raise NotFound("Not found.")
    return user


def _manager(request: HttpRequest):  # noqa: ANN202
    user = _agent(request)
    if not selectors.can_manage(user):
        raise PermissionDenied("Supervisors only.")
    return user


class CallbackOut(Schema):
    id: int
    ticket_id: int
    period: str
    reason: str
    assignee_id: int | None
    script: str
    outcome: str = Field(description="empty until worked: reached, not_reached, satisfied, problem_persists")
    notes: str
    worked_at: datetime | None


class CareTaskOut(Schema):
    id: int
    customer_id: int
    period: str
    kind: str
    due_on: date
    assignee_id: int | None
    script: str
    outcome: str
    service_matched: bool | None
    notes: str
    worked_at: datetime | None


class CareOutcomeIn(Schema):
    outcome: str
    notes: str = ""
    service_matched: bool | None = None


class CarePeriodIn(Schema):
    period: str = Field(description="YYYY-MM")


class CareGenerated(Schema):
    created: int


class ReferralReportRowOut(Schema):
    agent_id: int
    agent: str
    first_orders: int
    later_orders: int
    amount: Decimal


@router.get("/callbacks", response=list[CallbackOut], summary="Callbacks (open ones unless done=1)")
def list_callbacks(request: HttpRequest, done: bool = False, mine: bool = False):
    user = _agent(request)
    qs = selectors.list_callbacks(user, todo=not done, mine=mine)
    return list(qs.exclude(outcome="") if done else qs)[:500]


@router.post("/callbacks/generate", response=CareGenerated, summary="Generate a month's callbacks")
def generate_callbacks(request: HttpRequest, body: CarePeriodIn):
    _manager(request)
    return CareGenerated(created=services.generate_callbacks(period=body.period))


@router.post("/callbacks/{callback_id}/outcome", response=CallbackOut, summary="Record a callback's outcome")
def work_callback(request: HttpRequest, callback_id: int, body: CareOutcomeIn):
    user = _agent(request)
    callback = selectors.access_callback(user, callback_id)
    return services.work_callback(callback, outcome=body.outcome, notes=body.notes, by=user)


@router.get("/tasks", response=list[CareTaskOut], summary="Care tasks of a month")
def list_tasks(request: HttpRequest, period: str = "", done: bool = False):
    user = _agent(request)
    if period:
        period = periods.name(periods.parse(period))
    qs = selectors.list_care_tasks(user, period=period, todo=not done)
    return list(qs.exclude(outcome="") if done else qs)[:500]


@router.post(
    "/tasks/generate", response=CareGenerated, summary="Generate a month's key-customer list and tasks"
)
def generate_tasks(request: HttpRequest, body: CarePeriodIn):
    _manager(request)
    return CareGenerated(created=services.generate_care(period=body.period))


@router.post("/tasks/{task_id}/outcome", response=CareTaskOut, summary="Record a care task's outcome")
def work_task(request: HttpRequest, task_id: int, body: CareOutcomeIn):
    user = _agent(request)
    task = selectors.access_care_task(user, task_id)
    return services.work_care_task(
        task, outcome=body.outcome, notes=body.notes, service_matched=body.service_matched, by=user
    )


@router.get(
    "/referrals/report", response=list[ReferralReportRowOut], summary="Referral rewards per agent in a month"
)
def referral_report(request: HttpRequest, period: str):
    _manager(request)
    return [
        ReferralReportRowOut(
            agent_id=r.agent.pk,
            agent=r.agent.name,
            first_orders=r.first_orders,
            later_orders=r.later_orders,
            amount=r.amount,
        )
        for r in referrals.report(period=period)
    ]
