"""REST endpoints of work plans (mounted at /api/plans/).

Reading follows the pages' rules (selectors.visible_plans: a plan you may not read answers 404);
creating from a template is a supervisor's (or an agent's own personal plan); the body of a plan is
the same JSON as `kefu plan show` (blueprints.describe)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from . import blueprints, selectors, services
from .errors import NotFound
from .models import ScopeKind

router = Router(tags=["plans"])


def _staff(request: HttpRequest):  # noqa: ANN202
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_read(user):
        raise NotFound("Not found.")
    return user


class PlanFindingOut(Schema):
    id: int
    topic: str
    metric: str
    text: str
    figure: str
    link: str


class PlanGoalOut(Schema):
    id: int
    title: str
    metric: str | None
    unit: str
    filters: dict[str, list[str]]
    baseline: float | None
    target: float
    direction: str
    deadline: str
    core: bool
    weight: int
    owner: str | None
    value: float | None
    progress: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    status: str


class PlanOut(Schema):
    id: int
    title: str
    kind: str
    template: str
    period: str
    start: str
    end: str
    scope: str
    state: str
    owner: str
    forecast_method: str
    review: list[PlanFindingOut]
    goals: list[PlanGoalOut]


class PlanRow(Schema):
    id: int
    title: str
    kind: str
    period: str
    scope: str
    state: str
    owner: str


class PlanCreateIn(Schema):
    template: str = Field(
        max_length=50, description="after-sales-quarterly, team-work, process-optimisation…"
    )
    period: str = Field(max_length=40, description="2026, 2026-Q4, 2026-10 or 2026-10-01..2026-12-15")
    title: str = Field("", max_length=200)


class PlanMoveIn(Schema):
    to: str = Field(max_length=10, description="active, review or closed")


@router.get("/", response=list[PlanRow])
def list_plans(request: HttpRequest):  # noqa: ANN201
    user = _staff(request)
    return [
        {
            "id": p.pk,
            "title": p.title,
            "kind": p.kind,
            "period": p.period_label,
            "scope": p.scope_kind,
            "state": p.state,
            "owner": p.owner.username,
        }
        for p in selectors.visible_plans(user)[:200]
    ]


@router.get("/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int):  # noqa: ANN201
    return blueprints.describe(selectors.access_plan(_staff(request), plan_id))


@router.post("/", response={201: PlanOut})
def create_plan(request: HttpRequest, body: PlanCreateIn):  # noqa: ANN201
    user = _staff(request)
    scope = ScopeKind.SERVICE if selectors.is_manager(user) else ScopeKind.PERSON
    plan, _warnings = blueprints.create_from_template(
        body.template,
        period=body.period,
        by=user,
        title=body.title,
        scope_kind=scope,
        scope_person=user if scope == ScopeKind.PERSON else None,
    )
    return 201, blueprints.describe(plan)


@router.post("/{plan_id}/state", response=PlanOut)
def move_plan(request: HttpRequest, plan_id: int, body: PlanMoveIn):  # noqa: ANN201
    user = _staff(request)
    plan = services.move_plan(selectors.access_plan(user, plan_id), to=body.to, by=user)
    return blueprints.describe(plan)


# Actions and staff suggestions (api_actions.py) share the /api/plans/ prefix.
from .api_actions import router as _actions_router  # noqa: E402

router.add_router("", _actions_router)

# Output: export, evaluations, next period, quarter comparison, saved templates (api_output.py).
from .api_output import router as _output_router  # noqa: E402

router.add_router("", _output_router)
