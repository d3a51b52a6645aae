"""A goal's live progress, read from the metric registry only (core.metrics.total / compute).

- value: the metric over the plan's period so far (start .. min(today, end)), for the plan's scope
  and the goal's filter. A manual measure shows the value entered by hand.
- progress: how far the value has moved from the baseline towards the target, 0–100 %. For a count
  whose target is a period total (e.g. tickets solved), value ÷ target.
- forecast (method FORECAST_METHOD): an ordinary least-squares line through the daily values of the
  period so far, extended to the period's last day. A count adds the line's values for the days left
  to the total so far; a stock takes the line's value on the last day; a rate or a mean weighs the
  value so far by the days gone and the line's mean over the days left by the days left. The band is
  ± 1.96 × the standard deviation of the residuals (scaled to the days left for counts, √n; for rates
  and means by the share of days left). With fewer than three days of data the forecast is the value
  so far (a count extrapolated pro rata) and there is no band.
- status: before the period: not started; after it: met / missed; during it: on track when the
  forecast meets the target, at risk when only the band's favourable end does, off track otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.clock import now

from .models import Goal, Plan, ScopeKind

FORECAST_METHOD = _(
    "Least-squares line through the daily values of the period so far, extended to the period's end; "
    "band ± 1.96 × standard deviation of the residuals."
)

STATUSES = {
    "not_started": _("Not started"),
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "off_track": _("Off track"),
    "met": _("Met"),
    "missed": _("Missed"),
    "unavailable": _("Not available yet"),
    "no_data": _("No data yet"),
}


def today() -> date:
    return now().astimezone(metrics.local_zone()).date()


def scope_filters(plan: Plan) -> dict[str, list[str]]:
    """The plan's scope as registry filters."""
    if plan.scope_kind == ScopeKind.TEAM and plan.scope_team_id:
        return {"team": [str(plan.scope_team_id)]}
    if plan.scope_kind == ScopeKind.CHANNEL and plan.scope_channel:
        return {"channel": [plan.scope_channel]}
    if plan.scope_kind == ScopeKind.PERSON and plan.scope_person_id:
        return {"agent": [str(plan.scope_person_id)]}
    return {}


def goal_filters(plan: Plan, filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
    merged = dict(scope_filters(plan))
    for dim, values in (filters or {}).items():
        merged[dim] = [str(v) for v in values]
    return merged


def available(key: str) -> bool:
    try:
        metrics.get(key)
    except metrics.MetricError:
        return False
    return True


def meets(value: float | None, target: float, direction: str) -> bool:
    if value is None:
        return False
    return value >= target if direction == "higher" else value <= target


@dataclass
class Progress:
    available: bool
    value: float | None = None
    progress: float | None = None  # 0–100
    forecast: float | None = None
    low: float | None = None
    high: float | None = None
    status: str = "unavailable"
    days: list[str] = field(default_factory=list)  # the daily series so far (for the chart)
    values: list[float | None] = field(default_factory=list)
    trend: list[float | None] = field(default_factory=list)  # the fitted line over the whole period

    @property
    def has_series(self) -> bool:
        return any(v is not None for v in self.values)

    @property
    def status_label(self) -> str:
        return str(STATUSES[self.status])

    def as_dict(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "value": _round(self.value),
            "progress": _round(self.progress),
            "forecast": _round(self.forecast),
            "forecast_low": _round(self.low),
            "forecast_high": _round(self.high),
            "status": self.status,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(intercept, slope, residual standard deviation) of the least-squares line y = a + b·x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    intercept = my - slope * mx
    resid = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    sd = math.sqrt(sum(r * r for r in resid) / (n - 2)) if n > 2 else 0.0
    return intercept, slope, sd


def progress_share(
    value: float | None, baseline: float | None, target: float, aggregate: str, direction: str
) -> float | None:
    if value is None:
        return None
    if aggregate != "count" and meets(value, target, direction):
        return 100.0  # at or past the target
    if aggregate == "count":  # a period total: how much of it is done
        share = value / target * 100 if target else 100.0
    elif baseline is None or baseline == target:
        return 100.0 if value == target else 0.0
    else:
        share = (value - baseline) / (target - baseline) * 100
    return max(0.0, min(100.0, share))


def goal_progress(goal: Goal, *, on: date | None = None) -> Progress:
    plan = goal.plan
    on = on or today()
    if not goal.metric:  # a manual measure
        value = goal.manual_value
        out = Progress(True, value, progress_share(value, goal.baseline, goal.target, "mean", goal.direction))
        out.forecast = value
        out.status = _status(plan, on, value, value, None, goal)
        return out
    try:
        metric = metrics.get(goal.metric)
    except metrics.MetricError:
        return Progress(False)
    if on < plan.start:
        return Progress(True, status="not_started")
    last = min(on, plan.end)
    filters = goal_filters(plan, goal.filters)
    try:
        series = metrics.compute(goal.metric, start=plan.start, end=last, grain="day", filters=filters)
    except metrics.MetricError:
        return Progress(False)
    value = _whole(metric, series.points)
    by_day = {p.bucket: p.value for p in series.points}
    days = [plan.start + timedelta(days=i) for i in range((last - plan.start).days + 1)]
    if metric.aggregate == "count":
        daily: list[float | None] = [by_day.get(d) or 0.0 for d in days]
    else:
        daily = [by_day.get(d) for d in days]
    out = Progress(
        True, value, progress_share(value, goal.baseline, goal.target, metric.aggregate, goal.direction)
    )
    out.days = [d.isoformat() for d in days]
    out.values = [_round(v) for v in daily]
    forecast, low, high, line = _forecast(metric.aggregate, plan, days, daily, value)
    out.forecast, out.low, out.high, out.trend = forecast, low, high, line
    out.status = _status(plan, on, value, forecast, (low, high), goal)
    return out


def _whole(metric: metrics.Metric, points: list[metrics.Point]) -> float | None:
    if metric.aggregate == "stock":
        return points[-1].value if points else 0.0
    num = sum(p.num for p in points)
    den = sum(p.den for p in points)
    return metric.value(num, den)


def _forecast(
    aggregate: str, plan: Plan, days: list[date], daily: list[float | None], value: float | None
) -> tuple[float | None, float | None, float | None, list[float | None]]:
    total_days = (plan.end - plan.start).days + 1
    gone = len(days)
    left = total_days - gone
    known = [(float(i), v) for i, v in enumerate(daily) if v is not None]
    if value is None:
        return None, None, None, []
    if len(known) < 3:
        if aggregate == "count":
            return value * total_days / gone, None, None, []
        return value, None, None, []
    a, b, sd = fit([x for x, _y in known], [y for _x, y in known])
    line = [_round(a + b * i) for i in range(total_days)]
    if left <= 0:
        return value, value, value, line
    ahead = [a + b * i for i in range(gone, total_days)]
    if aggregate == "count":
        forecast = value + sum(max(0.0, y) for y in ahead)
        spread = 1.96 * sd * math.sqrt(left)
    elif aggregate == "stock":
        forecast = ahead[-1]
        spread = 1.96 * sd
    else:
        forecast = (value * gone + sum(ahead) / left * left) / total_days
        spread = 1.96 * sd * left / total_days
    return forecast, forecast - spread, forecast + spread, line


def _status(
    plan: Plan,
    on: date,
    value: float | None,
    forecast: float | None,
    band: tuple[float | None, float | None] | None,
    goal: Goal,
) -> str:
    if value is None and forecast is None:
        return "no_data" if goal.metric else "not_started"
    if on < plan.start:
        return "not_started"
    if on > plan.end or on > goal.deadline:
        return "met" if meets(value, goal.target, goal.direction) else "missed"
    if meets(forecast, goal.target, goal.direction):
        return "on_track"
    if band is not None:
        best = band[1] if goal.direction == "higher" else band[0]
        if meets(best, goal.target, goal.direction):
            return "at_risk"
    return "off_track"


def period_value(
    key: str, plan: Plan, start: date, end: date, filters: dict[str, list[str]] | None
) -> float | None:
    """The metric over start..end for the plan's scope and the filters (the baseline's reading)."""
    return metrics.total(key, start=start, end=end, filters=goal_filters(plan, filters))
