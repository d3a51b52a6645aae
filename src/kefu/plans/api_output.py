"""REST endpoints of a plan's output (mounted under /api/plans/): the export as PDF or DOCX, the
evaluations (write, conclusions, sign-off), seeding the next period's plan, the quarter against the
quarter before, and saved templates.

Errors: 404 for a plan or evaluation you may not see (customers included); 403 when you may read the
plan but not change it, and `not_owner` when someone but the plan's owner signs off; 409
`signed_off` (a signed evaluation is read-only), `bad_transition` (seeding from a plan not closed,
evaluating a draft), `key_taken`; 422 `unknown_format` and `invalid` with the field at fault."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from kefu.core.api_support import Text

from . import blueprints, evaluations, export, own_templates, selectors
from .errors import NotFound
from .models import Evaluation

router = Router(tags=["plans"])


def _reader(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_read(user):
        raise NotFound("Not found.")
    return user


class ExportQuery(Schema):
    format: str = Field("pdf", max_length=10, description="pdf or docx")


@router.get(
    "/{plan_id}/export",
    response={200: None},
    summary="The plan as a PDF or DOCX file (charts drawn as images)",
)
def export_plan(request: HttpRequest, plan_id: int, query: Query[ExportQuery]):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    data = export.render(plan, query.format, user=user)
    response = HttpResponse(data, content_type=export.FORMATS[query.format])
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.{query.format}"'
    return response


class EvaluationGoalOut(Schema):
    id: int
    title: str
    metric: str
    value: float | None
    figure: str
    target: float
    result: str


class EvaluationOut(Schema):
    id: int
    plan: int
    kind: str
    period: str
    start: str
    end: str
    goals: list[EvaluationGoalOut]
    kpis: list[dict[str, Any]]
    actions: dict[str, Any]
    conclusions: str
    signed_by: str | None
    signed_at: str | None


def evaluation_out(ev: Evaluation) -> dict[str, Any]:
    snap = ev.snapshot or {}
    return {
        "id": ev.pk,
        "plan": ev.plan_id,
        "kind": ev.kind,
        "period": ev.period_label,
        "start": ev.start.isoformat(),
        "end": ev.end.isoformat(),
        "goals": [
            {k: g.get(k) for k in ("id", "title", "metric", "value", "figure", "target", "result")}
            for g in snap.get("goals", [])
        ],
        "kpis": snap.get("kpis", []),
        "actions": snap.get("actions", {}),
        "conclusions": ev.conclusions,
        "signed_by": ev.signed_by.username if ev.signed_by_id else None,
        "signed_at": timezone.localtime(ev.signed_at).isoformat() if ev.signed_at else None,
    }


class EvaluateIn(Schema):
    kind: Literal["monthly", "final"] = "monthly"
    month: str = Field("", max_length=10, description="2026-10 (monthly; default: this month)")


class ConclusionsIn(Schema):
    conclusions: Text = Field(max_length=20000)


@router.get("/{plan_id}/evaluations", response=list[EvaluationOut], summary="A plan's evaluations")
def list_evaluations(request: HttpRequest, plan_id: int):  # noqa: ANN201
    plan = selectors.access_plan(_reader(request), plan_id)
    return [evaluation_out(ev) for ev in plan.evaluations.select_related("signed_by")]


@router.post(
    "/{plan_id}/evaluations",
    response={201: EvaluationOut},
    summary="Write (or rewrite, before sign-off) the monthly check-in or the end-of-period review",
)
def evaluate(request: HttpRequest, plan_id: int, body: EvaluateIn):  # noqa: ANN201
    user = _reader(request)
    ev = evaluations.evaluate(selectors.access_plan(user, plan_id), kind=body.kind, month=body.month, by=user)
    return 201, evaluation_out(ev)


@router.post(
    "/{plan_id}/evaluations/{evaluation_id}/conclusions",
    response=EvaluationOut,
    summary="The author's conclusions (until sign-off)",
)
def conclusions(request: HttpRequest, plan_id: int, evaluation_id: int, body: ConclusionsIn):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    ev = evaluations.access_evaluation(user, plan, evaluation_id)
    return evaluation_out(evaluations.write_conclusions(ev, text=body.conclusions, by=user))


@router.post(
    "/{plan_id}/evaluations/{evaluation_id}/sign-off",
    response=EvaluationOut,
    summary="The plan's owner signs the evaluation off; it is read-only from then on",
)
def sign_off(request: HttpRequest, plan_id: int, evaluation_id: int):  # noqa: ANN201
    user = _reader(request)
    plan = selectors.access_plan(user, plan_id)
    ev = evaluations.access_evaluation(user, plan, evaluation_id)
    return evaluation_out(evaluations.sign_off(ev, by=user))


class SeededOut(Schema):
    id: int
    title: str
    period: str
    state: str
    warnings: list[str]


@router.post(
    "/{plan_id}/next",
    response={201: SeededOut},
    summary="A closed plan seeds the next period's draft (goals carried over, new baselines); once",
)
def seed_next(request: HttpRequest, plan_id: int):  # noqa: ANN201
    user = _reader(request)
    successor, warnings = evaluations.seed_next_plan(selectors.access_plan(user, plan_id), by=user)
    return 201, {
        "id": successor.pk,
        "title": successor.title,
        "period": successor.period_label,
        "state": successor.state,
        "warnings": [str(w) for w in warnings],
    }


class ComparisonRowOut(Schema):
    metric: str
    name: str
    figure: str
    previous_figure: str
    change: str
    verdict: str


class ComparisonOut(Schema):
    quarter: str
    previous: str
    rows: list[ComparisonRowOut]


@router.get(
    "/{plan_id}/compare", response=ComparisonOut, summary="This quarter against the previous, same metrics"
)
def compare(request: HttpRequest, plan_id: int):  # noqa: ANN201
    found = evaluations.compare_quarters(selectors.access_plan(_reader(request), plan_id))
    return {"quarter": found.this.label, "previous": found.before.label, "rows": found.rows}


class TemplateIn(Schema):
    name: Text = Field(max_length=200)
    key: str = Field("", max_length=50, description="optional; default my-<name>")


class TemplateOut(Schema):
    key: str
    name: str
    kind: str
    goals: int
    builtin: bool


@router.post(
    "/{plan_id}/template",
    response={201: TemplateOut},
    summary="Save the plan as a template (goals without figures)",
)
def save_template(request: HttpRequest, plan_id: int, body: TemplateIn):  # noqa: ANN201
    user = _reader(request)
    saved = own_templates.save_as_template(
        selectors.access_plan(user, plan_id), name=body.name, key=body.key, by=user
    )
    return 201, {
        "key": saved.key,
        "name": saved.name,
        "kind": saved.kind,
        "goals": len(saved.goals),
        "builtin": False,
    }


@router.get("/templates/", response=list[TemplateOut], summary="Built-in and saved templates")
def list_templates(request: HttpRequest):  # noqa: ANN201
    _reader(request)
    return [
        {
            "key": key,
            "name": b.title_zh if blueprints._zh() else b.title_en,
            "kind": b.kind,
            "goals": len(b.goals),
            "builtin": key in blueprints.BLUEPRINTS,
        }
        for key, b in own_templates.all_blueprints().items()
    ]
