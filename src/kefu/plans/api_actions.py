"""REST endpoints of a plan's actions and staff suggestions (mounted under /api/plans/).

Reading follows the plan's rules (a plan you may not read answers 404, customers included).
Errors: 403 when you may read the plan but not change it; 404 for a plan, action or suggestion
you may not see; 409 `stale_version` (someone changed the action first), `already_decided` (a
suggestion decided or rewarded before); 422 `bad_rule` (a recurrence rule that does not parse,
repeats more than hourly or never falls on a working day), `reason_required` (declining without a
reason), `invalid` / `unknown_metric` / `unknown_scope` with the field at fault."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kefu.accounts.models import User
from kefu.core.api_support import Text

from . import actions, pilots, selectors, suggestions
from .errors import NotFound, ValidationFailed
from .models import Action, Suggestion

router = Router(tags=["plans"])


def _reader(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_read(user):
        raise NotFound("Not found.")
    return user


def _staff_user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not user.is_agent:
        raise ValidationFailed("No such member of staff.", field=field)
    return user


class PlanChecklistOut(Schema):
    id: int
    text: str
    done: bool


class PlanPilotFigureOut(Schema):
    metric: str
    name: str
    unit: str
    pilot: float | None
    rest: float | None
    difference: float | None
    better: bool | None
    start: str
    end: str


class PlanActionOut(Schema):
    id: int
    title: str
    kind: str
    owner: str
    owner_id: int
    start: str
    due: str
    status: str
    overdue: bool
    goals: list[int]
    checklist: list[PlanChecklistOut]
    evidence: list[str]
    resources: str
    rule: str
    parent: int | None
    occurs_at: str | None
    version: int
    pilot_dimension: str
    pilot_values: list[str]
    pilot: list[PlanPilotFigureOut]


class PlanActionIn(Schema):
    title: Text = Field(max_length=200)
    kind: str = Field(max_length=20, description="process, collaboration, training, care or tools")
    owner: int
    start: date
    due: date
    goals: list[int] = Field(default_factory=list, max_length=100)
    checklist: list[Text] = Field(default_factory=list, max_length=50)
    evidence: list[Text] = Field(default_factory=list, max_length=20)
    resources: Text = Field("", max_length=5000)
    rule: Text = Field("", max_length=300, description="RRULE, e.g. FREQ=DAILY;BYHOUR=10,16 (blank: once)")
    pilot_dimension: str = Field("", max_length=10, description="team or category (blank: no pilot)")
    pilot_values: list[str] = Field(default_factory=list, max_length=100)
    pilot_metrics: list[str] = Field(default_factory=list, max_length=10)


class PlanActionPatch(Schema):
    version: int | None = Field(None, description="the version you read; a newer one answers 409")
    status: str | None = Field(None, max_length=12, description="planned, in_progress, done, cancelled")
    title: Text | None = Field(None, max_length=200)
    owner: int | None = None
    start: date | None = None
    due: date | None = None
    goals: list[int] | None = Field(None, max_length=100)
    evidence: list[Text] | None = Field(None, max_length=20)
    resources: Text | None = Field(None, max_length=5000)
    checklist_done: dict[int, bool] | None = Field(None, description="checklist item id → done")


class PlanGoalRollupOut(Schema):
    goal: int
    done: int
    total: int
    progress: float | None


class PlanActionsOut(Schema):
    progress: float | None
    done: int
    total: int
    overdue: int
    goals: list[PlanGoalRollupOut]
    actions: list[PlanActionOut]


class PlanSuggestionOut(Schema):
    id: int
    title: str
    body: str
    proposed_by: str
    created_at: str
    status: str
    reason: str
    decided_by: str | None
    action: int | None
    reward: str
    reward_amount: str | None
    rewarded_by: str | None
    rewarded_at: str | None


class PlanSuggestionIn(Schema):
    title: Text = Field(max_length=200)
    body: Text = Field("", max_length=5000)


class PlanSuggestionAcceptIn(Schema):
    owner: int | None = None
    kind: str = Field("process", max_length=20)
    start: date | None = None
    due: date | None = None
    goals: list[int] = Field(default_factory=list, max_length=100)


class PlanSuggestionDeclineIn(Schema):
    reason: Text = Field("", max_length=2000)


class PlanSuggestionRewardIn(Schema):
    reward: Text = Field(max_length=200)
    amount: str | None = Field(None, max_length=20, description="e.g. 200.00")


def action_out(action: Action, today: date | None = None) -> dict[str, Any]:
    return {
        "id": action.pk,
        "title": action.title,
        "kind": action.kind,
        "owner": action.owner.username,
        "owner_id": action.owner_id,
        "start": action.start.isoformat(),
        "due": action.due.isoformat(),
        "status": action.status,
        "overdue": not action.rule and actions.is_overdue(action, today),
        "goals": [g.pk for g in action.goals.all()],
        "checklist": [{"id": i.pk, "text": i.text, "done": i.done} for i in action.checklist.all()],
        "evidence": list(action.evidence),
        "resources": action.resources,
        "rule": action.rule,
        "parent": action.parent_id,
        "occurs_at": action.occurs_at.isoformat() if action.occurs_at else None,
        "version": action.version,
        "pilot_dimension": action.pilot_dimension,
        "pilot_values": [str(v) for v in action.pilot_values],
        "pilot": [f.as_dict() for f in pilots.compare(action, on=today)],
    }


def suggestion_out(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "title": s.title,
        "body": s.body,
        "proposed_by": s.proposed_by.username,
        "created_at": s.created_at.isoformat(),
        "status": s.status,
        "reason": s.reason,
        "decided_by": s.decided_by.username if s.decided_by else None,
        "action": s.action_id,
        "reward": s.reward,
        "reward_amount": str(s.reward_amount) if s.reward_amount is not None else None,
        "rewarded_by": s.rewarded_by.username if s.rewarded_by else None,
        "rewarded_at": s.rewarded_at.isoformat() if s.rewarded_at else None,
    }


def _action(plan: Any, pk: int) -> Action:
    found = actions.plan_actions(plan).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such action.")
    return found


@router.get(
    "/{plan_id}/actions", response=PlanActionsOut, summary="A plan's actions, progress and overdue count"
)
def list_actions(request: HttpRequest, plan_id: int):  # noqa: ANN201
    plan = selectors.access_plan(_reader(request), plan_id)
    today = actions.today()
    rows = list(actions.plan_actions(plan)[:500])
    rollup = actions.plan_rollup(plan)
    return {
        "progress": rollup.share,
        "done": rollup.done,
        "total": rollup.total,
        "overdue": sum(1 for a in rows if not a.rule and actions.is_overdue(a, today)),
        "goals": [
            {"goal": goal, "done": r.done, "total": r.total, "progress": r.share}
            for goal, r in sorted(actions.goal_rollups(plan).items())
        ],
        "actions": [action_out(a, today) for a in rows],
    }


@router.post("/{plan_id}/actions", response={201: PlanActionOut}, summary="Add an action (once or recurring)")
def create_action(request: HttpRequest, plan_id: int, body: PlanActionIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    spec = actions.ActionSpec(
        title=body.title,
        kind=body.kind,
        owner=_staff_user(body.owner, "owner"),
        start=body.start,
        due=body.due,
        goals=body.goals,
        checklist=body.checklist,
        evidence=body.evidence,
        resources=body.resources,
        rule=body.rule,
        pilot_dimension=body.pilot_dimension,
        pilot_values=body.pilot_values,
        pilot_metrics=body.pilot_metrics,
    )
    made = actions.create_action(plan, spec=spec, by=user)
    return 201, action_out(_action(plan, made.pk))


@router.patch("/{plan_id}/actions/{action_id}", response=PlanActionOut, summary="Change an action")
def update_action(request: HttpRequest, plan_id: int, action_id: int, body: PlanActionPatch):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    found = _action(plan, action_id)
    changes: dict[str, Any] = {
        k: v
        for k, v in body.dict(exclude_unset=True).items()
        if k not in ("version", "checklist_done", "owner") and v is not None
    }
    if body.owner is not None:
        changes["owner"] = _staff_user(body.owner, "owner")
    if changes:
        found = actions.update_action(found, by=user, version=body.version, **changes)
    for item_id, done in (body.checklist_done or {}).items():
        item = found.checklist.filter(pk=item_id).first()
        if item is None:
            raise ValidationFailed("No such checklist item.", field="checklist_done")
        actions.tick(item, done=done, by=user)
    return action_out(_action(plan, found.pk))


@router.get(
    "/{plan_id}/suggestions", response=list[PlanSuggestionOut], summary="Staff suggestions for a plan"
)
def list_suggestions(request: HttpRequest, plan_id: int):  # noqa: ANN201
    plan = selectors.access_plan(_reader(request), plan_id)
    return [suggestion_out(s) for s in suggestions.plan_suggestions(plan)[:500]]


@router.post("/{plan_id}/suggestions", response={201: PlanSuggestionOut}, summary="Propose an improvement")
def propose(request: HttpRequest, plan_id: int, body: PlanSuggestionIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    return 201, suggestion_out(suggestions.propose(plan, title=body.title, body=body.body, by=user))


@router.post(
    "/{plan_id}/suggestions/{suggestion_id}/accept", response=PlanSuggestionOut, summary="Accept as an action"
)
def accept(request: HttpRequest, plan_id: int, suggestion_id: int, body: PlanSuggestionAcceptIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    found = suggestions.access_suggestion(user, plan, suggestion_id)
    done = suggestions.accept(
        found,
        by=user,
        owner=_staff_user(body.owner, "owner"),
        kind=body.kind,
        start=body.start,
        due=body.due,
        goals=body.goals,
    )
    return suggestion_out(done)


@router.post(
    "/{plan_id}/suggestions/{suggestion_id}/decline",
    response=PlanSuggestionOut,
    summary="Decline (reason required)",
)
def decline(request: HttpRequest, plan_id: int, suggestion_id: int, body: PlanSuggestionDeclineIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    found = suggestions.access_suggestion(user, plan, suggestion_id)
    return suggestion_out(suggestions.decline(found, reason=body.reason, by=user))


@router.post(
    "/{plan_id}/suggestions/{suggestion_id}/reward",
    response=PlanSuggestionOut,
    summary="Reward an accepted one",
)
def reward(request: HttpRequest, plan_id: int, suggestion_id: int, body: PlanSuggestionRewardIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    found = suggestions.access_suggestion(user, plan, suggestion_id)
    return suggestion_out(suggestions.reward(found, text=body.reward, amount=body.amount, by=user))
