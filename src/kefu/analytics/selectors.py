"""Reading figures: who may ask which question (`access_figures`), and the supervisor overview's
figures (`overview`) — what the overview page shows and what benchmarks/analytics.py times.

Every figure comes from `core.metrics.compute`, which reads the daily rollups when they cover the
question (rollups.store) and the metric's own SQL otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from kefu.accounts.models import Role
from kefu.core import metrics
from kefu.core.errors import PermissionDenied

# Who sees every agent's and every team's figures.
FIGURES_OF_ALL = frozenset({Role.SUPERVISOR, Role.ADMIN})


def sees_all_figures(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "role", None) in FIGURES_OF_ALL)


def own_team_ids(user: Any) -> set[str]:
    return {str(pk) for pk in user.teams.values_list("pk", flat=True)}


def access_figures(
    user: Any, *, metric: metrics.Metric, by: str | None, filters: Mapping[str, Iterable[str]]
) -> None:
    """Raise PermissionDenied unless `user` may read `metric` cut `by` with `filters`.

    Staff only. Supervisors and admins see everything. Any other agent sees their own figures
    (filter agent = themselves) and the figures of their own teams (filter team = one of theirs):
    the question must be narrowed to one of those, and cannot be cut by agent unless narrowed to
    themselves, nor by team unless narrowed to their teams."""
    if not getattr(user, "is_agent", False):
        raise PermissionDenied(_("Figures are for staff only."))
    if sees_all_figures(user):
        return
    me = str(user.pk)
    agents = {str(v) for v in filters.get("agent", ())}
    teams = {str(v) for v in filters.get("team", ())}
    if agents and agents != {me}:
        raise PermissionDenied(_("Only supervisors see another agent's figures."), field="agent")
    if teams:
        mine = own_team_ids(user)
        if not teams <= mine:
            raise PermissionDenied(_("You may only see the figures of your own teams."), field="team")
    if by == "agent" and agents != {me}:
        raise PermissionDenied(_("Only supervisors see figures per agent."), field="by")
    if by == "team" and not teams:
        raise PermissionDenied(_("Only supervisors see figures of every team."), field="by")
    if not agents and not teams:
        raise PermissionDenied(
            _(
                "Agents see their own figures and their teams': filter on agent=%(me)s or on one of your teams."
            )
            % {"me": me},
            field="agent",
        )


# --------------------------------------------------------------------------- the supervisor overview

# The headline figures of the supervisor overview, in the order the page shows them.
HEADLINE: tuple[str, ...] = (
    "tickets_created",
    "tickets_solved",
    "backlog",
    "first_response_minutes",
    "resolution_hours",
    "sla_compliance",
    "fcr_rate",
    "reopen_rate",
    "handling_minutes",
    "csat",
    "nps",
    "complaint_rate",
)
# The overview's charts cut by a dimension: (metric, dimension).
CUTS: tuple[tuple[str, str], ...] = (
    ("tickets_created", "channel"),
    ("tickets_created", "category"),
    ("backlog_aged", "age"),
)
# Trend lines drawn beside the headline ones.
TRENDS: tuple[str, ...] = (
    "first_response_business_minutes",
    "csat_very_satisfied",
    "second_complaint_rate",
)


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | None  # over the whole period (a stock: on its last day); None: no data or not available
    num: float
    den: float
    available: bool  # False: the metric is not registered (yet)
    series: metrics.Series | None  # by month


@dataclass
class Overview:
    start: date
    end: date
    grain: str
    figures: dict[str, Figure] = field(default_factory=dict)  # HEADLINE + TRENDS
    cuts: dict[tuple[str, str], metrics.Series | None] = field(default_factory=dict)

    def headline(self) -> dict[str, float | None]:
        """{key: value over the period} of the headline figures (what the benchmark compares)."""
        return {key: self.figures[key].value for key in HEADLINE}


def _whole(metric: metrics.Metric, points: list[metrics.Point]) -> tuple[float | None, float, float]:
    """The figure over the whole period from its buckets (what `total` would answer, without a second query)."""
    if metric.aggregate == "stock":
        last = max((p.bucket for p in points), default=None)
        chosen = [p for p in points if p.bucket == last]
    else:
        chosen = points
    num = sum(p.num for p in chosen)
    den = sum(p.den for p in chosen)
    if not chosen:
        return (0.0 if metric.aggregate in ("count", "stock") else None), 0.0, 0.0
    return metric.value(num, den), num, den


def figure(key: str, start: date, end: date, grain: str = "month", filters: Mapping | None = None) -> Figure:
    try:
        series = metrics.compute(key, start=start, end=end, grain=grain, filters=filters)
    except metrics.MetricError as err:
        if err.code != "unknown_metric":
            raise
        return Figure(key, None, 0.0, 0.0, False, None)
    value, num, den = _whole(series.metric, series.points)
    return Figure(key, value, num, den, True, series)


def overview(start: date, end: date, *, grain: str = "month", filters: Mapping | None = None) -> Overview:
    """The supervisor overview's figures for local days start..end: each headline figure by `grain`
    and over the whole period, the trend lines beside them, and the cuts (volume by channel and by
    category, the backlog by age). A metric not registered yet is there with available=False."""
    result = Overview(start, end, grain)
    for key in (*HEADLINE, *TRENDS):
        result.figures[key] = figure(key, start, end, grain, filters)
    for key, by in CUTS:
        try:
            metric = metrics.get(key)
        except metrics.MetricError:
            result.cuts[(key, by)] = None
            continue
        if by not in metric.dimensions:
            result.cuts[(key, by)] = None
            continue
        result.cuts[(key, by)] = metrics.compute(
            key, start=start, end=end, grain=grain, by=by, filters=filters
        )
    return result
