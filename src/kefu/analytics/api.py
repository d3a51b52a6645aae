"""REST endpoints of the analytics app (mounted at /api/metrics in kefu/api.py): the metric
registry and any metric's figures, for dashboards, reports, work-plan goals and other programs.

`GET /api/metrics/{key}?from=2026-01-01&to=2026-12-31&grain=month&by=channel&team=3&team=4`
answers the points of `core.metrics.compute`: one per (bucket, group) with the value and the
numerator and denominator it was computed from, so a client can add buckets up itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Router, Schema

from kefu.core import metrics
from kefu.core.api_support import ErrorOut
from kefu.core.errors import DomainError, PermissionDenied

from . import rollups, selectors

router = Router(tags=["metrics"])

RESERVED = ("from", "to", "grain", "by")
DEFAULT_DAYS = 30


class Names(Schema):
    zh: str = Field(description="zh-Hans")
    en: str


class MetricOut(Schema):
    key: str
    name: Names
    description: Names
    unit: str = Field(description="count, percent (0–100), seconds, minutes, hours, score, currency, ratio")
    direction: str = Field(description="higher or lower is better")
    aggregate: str = Field(description="count, ratio (Σnum/Σden), mean (Σtotal/Σcount) or stock (last day)")
    formula: Names
    dimensions: list[str] = Field(description="What the metric can be cut by (`by`) or filtered on")
    target: float | None = Field(None, description="The plans' default target, if any")
    app: str


class PointOut(Schema):
    bucket: date | None = Field(description="First day of the bucket; null with grain=total")
    group: str = Field(description='The group of `by` ("" when not cut)')
    value: float | None = Field(description="null when the denominator is zero")
    num: float
    den: float


class SeriesOut(Schema):
    key: str
    unit: str
    aggregate: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    grain: str
    by: str | None
    filters: dict[str, list[str]]
    source: str = Field(description="rollups (daily rollups) or sql (computed from the tickets)")
    points: list[PointOut]


def _names(value) -> Names:
    with translation.override("zh-hans"):
        zh = str(value)
    with translation.override("en"):
        en = str(value)
    return Names(zh=zh, en=en)


def _bad(err: metrics.MetricError) -> DomainError:
    extra = {"allowed": list(err.allowed)} if err.allowed else {}
    return DomainError(str(err), code=err.code, field=err.field or None, **extra)


def _day(request: HttpRequest, name: str, default: date) -> date:
    text = request.GET.get(name)
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            f"{name} is not a date (YYYY-MM-DD): {text[:40]!r}.", code="bad_date", field=name
        ) from None


@router.get("", response={200: list[MetricOut]}, summary="Every metric kefu defines")
def metric_list(request: HttpRequest):
    if not getattr(request.auth, "is_agent", False):
        raise PermissionDenied(translation.gettext("Figures are for staff only."))
    return [
        MetricOut(
            key=m.key,
            name=_names(m.name),
            description=_names(m.description),
            unit=m.unit,
            direction=m.direction,
            aggregate=m.aggregate,
            formula=_names(m.formula),
            dimensions=list(m.dimensions),
            target=m.target,
            app=m.app,
        )
        for m in metrics.all_metrics()
    ]


@router.get(
    "/{key}",
    # A question the registry cannot answer (unknown metric, dimension or grain, a bad period) is a
    # 400 naming what is allowed (issue 17), in the shared error body.
    response={200: SeriesOut, 400: ErrorOut},
    by_alias=True,
    summary="A metric's figures",
    description=(
        "Query: `from`, `to` (local days YYYY-MM-DD, both included; default the last 30 days), "
        "`grain` (day, week, month, quarter or total; default day), `by` (one of the metric's "
        "dimensions), and any dimension as a filter (`channel=email&channel=chat`, or comma-separated). "
        "Agents see their own figures (`agent=<their id>`) and their teams' (`team=<id>`); "
        "supervisors and admins see everything."
    ),
)
def metric_series(request: HttpRequest, key: str):
    user = request.auth
    if not getattr(user, "is_agent", False):
        raise PermissionDenied(translation.gettext("Figures are for staff only."))
    try:
        metric = metrics.get(key)
    except metrics.MetricError as err:
        raise _bad(err) from None
    today = rollups.today()
    end = _day(request, "to", today)
    start = _day(request, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    grain = request.GET.get("grain") or "day"
    if grain not in (*metrics.GRAINS, "total"):
        raise DomainError(
            f"Unknown grain {grain[:20]!r}.",
            code="unknown_grain",
            field="grain",
            allowed=[*metrics.GRAINS, "total"],
        )
    by = request.GET.get("by") or None
    filters: dict[str, list[str]] = {}
    for name in request.GET:
        if name in RESERVED:
            continue
        if name not in metric.dimensions:
            raise DomainError(
                f"{key} cannot be filtered on {name[:40]!r}.",
                code="unknown_dimension",
                field=name,
                allowed=[*metric.dimensions, *RESERVED],
            )
        values = [v.strip() for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip()]
        filters[name] = values
    if by is not None and by not in metric.dimensions:
        raise _bad(
            metrics.MetricError(
                f"{key} cannot be cut by {by[:40]!r}.",
                code="unknown_dimension",
                field="by",
                allowed=metric.dimensions,
            )
        )
    try:
        win = metrics.window(start, end, filters=filters, metric=metric)
    except metrics.MetricError as err:
        raise _bad(err) from None
    selectors.access_figures(user, metric=metric, by=by, filters=filters)
    source = "rollups" if rollups.store_answers(metric, win, by) else "sql"
    series = metrics.compute(
        key, start=start, end=end, grain=None if grain == "total" else grain, by=by, filters=filters
    )
    return SeriesOut(
        key=key,
        unit=metric.unit,
        aggregate=metric.aggregate,
        **{"from": start, "to": end},
        grain=grain,
        by=by,
        filters=filters,
        source=source,
        points=[
            PointOut(bucket=p.bucket, group=p.group, value=p.value, num=p.num, den=p.den)
            for p in series.points
        ],
    )
