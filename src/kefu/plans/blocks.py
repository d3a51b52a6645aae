"""Live data blocks in a plan's sections: `[[metric:csat]]` becomes the metric's figure and
`[[chart:csat]]` its daily chart, both for the plan's scope over the plan's period so far.

A reader who may not see a figure (analytics.selectors.access_figures: an agent sees only their own
and their teams' figures) gets nothing in its place — the marker disappears, as if it were not
there. An unknown key disappears too. The command line (`kefu plan export`) reads as an operator.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kefu.core import metrics
from kefu.core.errors import DomainError

from . import progress, review
from .export.charts import ChartSpec
from .models import Plan

MARKER = re.compile(r"\[\[(metric|chart):([a-z0-9_]{1,60})\]\]")


@dataclass
class LiveBlock:
    kind: str  # metric | chart
    key: str
    name: str
    figure: str
    chart: ChartSpec | None = None


def may_see(user: Any, plan: Plan, metric: metrics.Metric) -> bool:
    if user is None:  # the operator's command line
        return True
    from kefu.analytics.selectors import access_figures

    try:
        access_figures(user, metric=metric, by=None, filters=progress.scope_filters(plan))
    except DomainError:
        return False
    return True


def resolve(plan: Plan, kind: str, key: str, user: Any) -> LiveBlock | None:
    """The block a marker stands for, or None (unknown metric, or one the reader may not see)."""
    try:
        metric = metrics.get(key)
    except metrics.MetricError:
        return None
    if not may_see(user, plan, metric):
        return None
    scope = progress.scope_filters(plan)
    last = min(progress.today(), plan.end)
    if last < plan.start:
        return LiveBlock(kind, key, str(metric.name), "—")
    try:
        value = metrics.total(key, start=plan.start, end=last, filters=scope)
    except metrics.MetricError:
        return None
    block = LiveBlock(kind, key, str(metric.name), review.fmt(value, metric.unit))
    if kind == "chart":
        series = metrics.compute(key, start=plan.start, end=last, grain="day", filters=scope)
        by_day = {p.bucket: p.value for p in series.points}
        zero = 0.0 if metric.aggregate == "count" else None
        days = [plan.start + timedelta(days=i) for i in range((last - plan.start).days + 1)]
        target = next((g.target for g in plan.goals.all() if g.metric == key), None)
        block.chart = ChartSpec(
            title=str(metric.name),
            unit=metric.unit,
            values=[by_day.get(d, zero) for d in days],
            total_days=(plan.end - plan.start).days + 1,
            target=target,
            start=plan.start.isoformat(),
            end=plan.end.isoformat(),
            labels=(_("Actual"), _("Trend"), _("Target")),
        )
    return block


def render_html(plan: Plan, html: str, user: Any, *, prefix: str = "live") -> tuple[SafeString, dict]:
    """The section's (already sanitised) HTML with its markers drawn; and the chart specs the page
    carries as JSON for plans.js (id → spec)."""
    charts: dict[str, dict] = {}

    def draw(match: re.Match) -> str:
        block = resolve(plan, match[1], match[2], user)
        if block is None:
            return ""
        if block.kind == "metric" or block.chart is None or not block.chart.drawable:
            return (
                f'<span class="plans-live" data-testid="live-metric">{escape(block.name)} '
                f"<strong>{escape(block.figure)}</strong></span>"
            )
        chart_id = f"chart-{prefix}-{len(charts)}"
        spec = block.chart
        charts[chart_id] = {
            "x": [(plan.start + timedelta(days=i)).isoformat() for i in range(spec.total_days)],
            "values": spec.values,
            "trend": [],
            "target": spec.target if spec.target is not None else None,
            "low": None,
            "high": None,
            "labels": {"value": _("Actual"), "trend": _("Trend"), "target": _("Target")},
        }
        return (
            f'<figure class="plans-live-chart" data-testid="live-chart"><figcaption class="small">'
            f"{escape(block.name)} <strong>{escape(block.figure)}</strong></figcaption>"
            f'<div class="plans-chart" style="height: 140px" data-plans-chart="{chart_id}"></div></figure>'
        )

    drawn = MARKER.sub(draw, html or "")
    return mark_safe(drawn), charts  # noqa: S308  # sanitised HTML + our own escaped markup


def charts_json(charts: dict) -> str:
    return json.dumps(charts, ensure_ascii=False)
