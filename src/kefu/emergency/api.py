"""REST endpoints of the emergency app (mounted at /api/emergency/): plans, activations, drills.

Agents read plans and activations; supervisors and admins create and change plans, activate, run
drills, tick steps, broadcast and resolve (others: 403). Customers and department members find
nothing (404). An impossible or unbounded trigger answers 422 `bad_plan` naming the field; a second
activation while one is open answers 409 `already_open`; a broadcast on a drill 409
`drill_no_replies`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from . import selectors, services
from .errors import NotFound, PermissionDenied
from .models import Activation, EmergencyPlan

router = Router(tags=["emergency"])


def _staff(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_see(user):
        raise NotFound("Not found.")
    return user


def _manager(request: HttpRequest) -> Any:
    user = _staff(request)
    if not selectors.can_manage(user):
        raise PermissionDenied("Supervisors only.")
    return user


class EmergencyPlanIn(Schema):
    name: str = Field(max_length=1000)
    trigger: str = Field(description="volume, keyword, silence or sla_breach", max_length=100)
    description: str = Field("", max_length=20000)
    window_minutes: int = Field(60, description="1 … 10080 (7 days)")
    multiplier: float = Field(3.0, description="volume/keyword: above 1, at most 100")
    baseline_weeks: int = Field(4, description="volume/keyword: 1 … 12")
    min_count: int = 10
    keyword: str = Field("", max_length=1000)
    channel: str = Field("", max_length=100, description="silence: the channel watched")
    percent: float = Field(20.0, description="sla_breach: 0 … under 100")
    cooldown_minutes: int = 60
    steps: list[str] = Field(default_factory=list, max_length=1000)
    contact_ids: list[int] = Field(default_factory=list, max_length=1000)
    contact_emails: list[str] = Field(default_factory=list, max_length=1000)
    canned_reply_id: int | None = None
    broadcast_text: str = Field("", max_length=20000)
    active: bool = True


class EmergencyPlanPatch(Schema):
    name: str | None = Field(None, max_length=1000)
    trigger: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=20000)
    window_minutes: int | None = None
    multiplier: float | None = None
    baseline_weeks: int | None = None
    min_count: int | None = None
    keyword: str | None = Field(None, max_length=1000)
    channel: str | None = Field(None, max_length=100)
    percent: float | None = None
    cooldown_minutes: int | None = None
    steps: list[str] | None = Field(None, max_length=1000)
    contact_ids: list[int] | None = Field(None, max_length=1000)
    contact_emails: list[str] | None = Field(None, max_length=1000)
    canned_reply_id: int | None = None
    broadcast_text: str | None = Field(None, max_length=20000)
    active: bool | None = None


class EmergencyPlanOut(Schema):
    id: int
    name: str
    description: str
    trigger: str
    window_minutes: int
    multiplier: float
    baseline_weeks: int
    min_count: int
    keyword: str
    channel: str
    percent: float
    cooldown_minutes: int
    steps: list[str]
    contact_ids: list[int]
    contact_emails: list[str]
    canned_reply_id: int | None
    broadcast_text: str
    active: bool
    status: str = Field(description="quiet or firing")

    @staticmethod
    def resolve_contact_ids(obj: EmergencyPlan) -> list[int]:
        return [u.pk for u in obj.contacts.all()]

    @staticmethod
    def resolve_status(obj: EmergencyPlan) -> str:
        return "firing" if getattr(obj, "firing", False) else "quiet"


class EmergencyActivationOut(Schema):
    id: int
    plan_id: int
    source: str = Field(description="trigger, manual or drill")
    is_drill: bool
    status: str = Field(description="open or resolved")
    summary: str
    figures: dict
    started_at: datetime
    resolved_at: datetime | None
    broadcast_at: datetime | None
    ticket_count: int = 0


class EmergencyEntryOut(Schema):
    kind: str
    text: str
    at: datetime
    by_id: int | None


class EmergencyLinkOut(Schema):
    ticket_id: int
    linked_at: datetime
    replied_at: datetime | None


class EmergencyActivationDetailOut(EmergencyActivationOut):
    timeline: list[EmergencyEntryOut]
    tickets: list[EmergencyLinkOut]
    steps_done: list[int]


class EmergencyNoteIn(Schema):
    note: str = Field("", max_length=2000)


class EmergencyBroadcastOut(Schema):
    sent: int


class EmergencyStepOut(Schema):
    ticked: bool


def _plan_out(user: Any, plan_id: int) -> EmergencyPlan:
    return selectors.access_plan(user, plan_id)


def _detail(user: Any, activation_id: int) -> EmergencyActivationDetailOut:
    a = selectors.access_activation(user, activation_id)
    base = EmergencyActivationOut.from_orm(a).dict()
    return EmergencyActivationDetailOut(
        **base,
        timeline=[
            EmergencyEntryOut(kind=e.kind, text=e.text, at=e.at, by_id=e.by_id) for e in a.timeline.all()
        ],
        tickets=[
            EmergencyLinkOut(ticket_id=link.ticket_id, linked_at=link.linked_at, replied_at=link.replied_at)
            for link in selectors.linked_tickets(a)
        ],
        steps_done=sorted(selectors.done_steps(a)),
    )


@router.get("/plans", response=list[EmergencyPlanOut], summary="Emergency plans with their status")
def list_plans(request: HttpRequest):
    return list(selectors.list_plans(_staff(request))[:500])


@router.post("/plans", response=EmergencyPlanOut, summary="Create an emergency plan")
def create_plan(request: HttpRequest, body: EmergencyPlanIn):
    user = _manager(request)
    plan = services.save_plan(services.PlanData(**body.dict()), by=user)
    return _plan_out(user, plan.pk)


@router.get("/plans/{plan_id}", response=EmergencyPlanOut, summary="One emergency plan")
def get_plan(request: HttpRequest, plan_id: int):
    return selectors.access_plan(_staff(request), plan_id)


@router.patch("/plans/{plan_id}", response=EmergencyPlanOut, summary="Change an emergency plan")
def update_plan(request: HttpRequest, plan_id: int, body: EmergencyPlanPatch):
    user = _staff(request)
    plan = selectors.access_plan(user, plan_id)
    _manager(request)
    current = services.PlanData(
        **{
            **{f: getattr(plan, f) for f in services.PlanData.__dataclass_fields__ if hasattr(plan, f)},
            "contact_ids": [u.pk for u in plan.contacts.all()],
            "canned_reply_id": plan.canned_reply_id,
        }
    )
    changes = {
        k: v for k, v in body.dict(exclude_unset=True).items() if v is not None or k == "canned_reply_id"
    }
    data = services.PlanData(**{**asdict(current), **changes})
    services.save_plan(data, by=user, plan=plan)
    return _plan_out(user, plan.pk)


@router.get(
    "/activations", response=list[EmergencyActivationOut], summary="Activations and drills, newest first"
)
def list_activations(request: HttpRequest, plan_id: int | None = None, open: bool = False):
    return list(selectors.list_activations(_staff(request), plan_id=plan_id, open_only=open)[:500])


@router.get(
    "/activations/{activation_id}",
    response=EmergencyActivationDetailOut,
    summary="An activation with its timeline",
)
def get_activation(request: HttpRequest, activation_id: int):
    return _detail(_staff(request), activation_id)


def _start(request: HttpRequest, plan_id: int, body: EmergencyNoteIn, *, drill: bool) -> Activation:
    user = _staff(request)
    plan = selectors.access_plan(user, plan_id)
    _manager(request)
    return services.activate(plan, by=user, drill=drill, note=body.note)


@router.post(
    "/plans/{plan_id}/activate", response=EmergencyActivationDetailOut, summary="Activate a plan by hand"
)
def activate(request: HttpRequest, plan_id: int, body: EmergencyNoteIn):
    return _detail(_staff(request), _start(request, plan_id, body, drill=False).pk)


@router.post(
    "/plans/{plan_id}/drill",
    response=EmergencyActivationDetailOut,
    summary="Start a drill (no customer replies)",
)
def drill(request: HttpRequest, plan_id: int, body: EmergencyNoteIn):
    return _detail(_staff(request), _start(request, plan_id, body, drill=True).pk)


def _activation(request: HttpRequest, activation_id: int) -> tuple[Any, Activation]:
    user = _staff(request)
    activation = selectors.access_activation(user, activation_id)
    _manager(request)
    return user, activation


@router.post(
    "/activations/{activation_id}/resolve",
    response=EmergencyActivationDetailOut,
    summary="Resolve an activation",
)
def resolve(request: HttpRequest, activation_id: int, body: EmergencyNoteIn):
    user, activation = _activation(request, activation_id)
    services.resolve(activation, by=user, note=body.note)
    return _detail(user, activation_id)


@router.post(
    "/activations/{activation_id}/steps/{index}",
    response=EmergencyStepOut,
    summary="Tick a step of the checklist",
)
def tick_step(request: HttpRequest, activation_id: int, index: int):
    user, activation = _activation(request, activation_id)
    return EmergencyStepOut(ticked=services.tick_step(activation, index=index, by=user))


@router.post(
    "/activations/{activation_id}/broadcast",
    response=EmergencyBroadcastOut,
    summary="Send the broadcast reply to the linked tickets (each once)",
)
def broadcast(request: HttpRequest, activation_id: int):
    user, activation = _activation(request, activation_id)
    return EmergencyBroadcastOut(sent=services.broadcast(activation, by=user))
