"""现状复盘 from the data: the findings a new plan starts with, written from the previous period.

Each finding is one sentence with its figure and, when the metric can list them, a link to the
tickets behind it (the agent ticket list's drill-down, /agent/?drill=…, read by tickets.views_agent).
Figures come from the metric registry only; a key that is not registered yet, or that cannot be
narrowed to the plan's scope, is skipped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.core import metrics
from kefu.tickets.models import Category

from . import periods, progress
from .models import Finding, Plan

# The headline KPIs, then the quality rates the plans watch (repeat dispatch, reopen, SLA).
HEADLINE = (
    "tickets_created",
    "tickets_solved",
    "first_response_minutes",
    "resolution_hours",
    "handling_minutes",
    "fcr_rate",
    "csat",
    "second_complaint_rate",
    "touch_rate",
)
QUALITY = ("repeat_dispatch_rate", "reopen_rate", "sla_compliance")
TOP = 3

SUFFIX = {"percent": "%", "minutes": " min", "hours": " h", "seconds": " s"}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}{SUFFIX.get(unit, '')}"


def drill_link(
    key: str,
    start: date,
    end: date,
    *,
    by: str | None = None,
    group: str | None = None,
    filters: Mapping[str, list[str]] | None = None,
) -> str:
    """The ticket list of the tickets behind a figure (same parameters as the dashboards' links)."""
    params: list[tuple[str, str]] = [
        ("drill", key),
        ("drill_from", start.isoformat()),
        ("drill_to", end.isoformat()),
    ]
    if by:
        params += [("drill_by", by), ("drill_group", group or "")]
    for dim, values in sorted((filters or {}).items()):
        params += [("drill_filter", f"{dim}:{v}") for v in values]
    return f"{reverse('agent:queue')}?{urlencode(params)}"


@dataclass
class Draft:
    topic: str
    metric: str
    text: str
    figure: str
    value: float | None
    link: str


def change_words(metric: metrics.Metric, now_value: float, before: float | None) -> str:
    if before is None:
        return _("no figure for the period before")
    if metric.unit == "percent":
        delta = now_value - before
        if abs(delta) < 0.05:
            return _("unchanged")
        word = _("up") if delta > 0 else _("down")
        return _("%(word)s %(delta).1f points") % {"word": word, "delta": abs(delta)}
    if not before:
        return _("from none")
    rel = (now_value - before) / before * 100
    if abs(rel) < 0.05:
        return _("unchanged")
    word = _("up") if rel > 0 else _("down")
    return _("%(word)s %(delta).1f %%") % {"word": word, "delta": abs(rel)}


def findings_for(plan: Plan) -> list[Draft]:
    last = periods.previous(periods.Period(plan.start, plan.end, plan.period_label))
    before = periods.previous(last)
    scope = progress.scope_filters(plan)
    out: list[Draft] = []
    for topic, keys in (("headline", HEADLINE), ("quality", QUALITY)):
        for key in keys:
            drafted = _kpi(key, topic, last, before, scope)
            if drafted is not None:
                out.append(drafted)
    out += _categories(last, before, scope)
    return out


def _kpi(key: str, topic: str, last: periods.Period, before: periods.Period, scope: dict) -> Draft | None:
    try:
        metric = metrics.get(key)
        value = metrics.total(key, start=last.start, end=last.end, filters=scope)
        prior = metrics.total(key, start=before.start, end=before.end, filters=scope)
    except metrics.MetricError:
        return None  # not registered yet, or not for this scope
    if value is None:
        return None
    figure = fmt(value, metric.unit)
    text = _("%(period)s %(name)s: %(figure)s, %(change)s against %(before)s (%(prior)s).") % {
        "period": last.label,
        "name": metric.name,
        "figure": figure,
        "change": change_words(metric, value, prior),
        "before": before.label,
        "prior": fmt(prior, metric.unit),
    }
    link = drill_link(key, last.start, last.end, filters=scope) if metric.drill else ""
    return Draft(topic, key, text, figure, value, link)


def _categories(last: periods.Period, before: periods.Period, scope: dict) -> list[Draft]:
    key = "tickets_created"
    try:
        metric = metrics.get(key)
        now_rows = metrics.compute(key, start=last.start, end=last.end, by="category", filters=scope).points
        old_rows = metrics.compute(
            key, start=before.start, end=before.end, by="category", filters=scope
        ).points
    except metrics.MetricError:
        return []
    current = {p.group: p.num for p in now_rows if p.group and p.group != "none"}
    prior = {p.group: p.num for p in old_rows if p.group and p.group != "none"}
    total = sum(p.num for p in now_rows) or 0
    ids = [int(g) for g in {*current, *prior} if g.isdigit()]
    names = {str(c.pk): str(c) for c in Category.objects.filter(pk__in=ids).select_related("parent")}
    out: list[Draft] = []
    by_volume = sorted(current.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    for rank, (group, count) in enumerate(by_volume, 1):
        share = count / total * 100 if total else 0.0
        out.append(
            Draft(
                "category_volume",
                key,
                _(
                    "Category no. %(rank)s by volume in %(period)s: %(name)s, %(count)s tickets (%(share).1f %% of all)."
                )
                % {
                    "rank": rank,
                    "period": last.label,
                    "name": names.get(group, group),
                    "count": fmt(count, "count"),
                    "share": share,
                },
                fmt(count, "count"),
                count,
                drill_link(key, last.start, last.end, by="category", group=group, filters=scope)
                if metric.drill
                else "",
            )
        )
    growth = sorted(
        ((g, c - prior.get(g, 0.0)) for g, c in current.items() if c - prior.get(g, 0.0) > 0),
        key=lambda kv: (-kv[1], kv[0]),
    )[:TOP]
    for group, delta in growth:
        was = prior.get(group, 0.0)
        rel = _(" (+%(rel).0f %%)") % {"rel": delta / was * 100} if was else ""
        out.append(
            Draft(
                "category_growth",
                key,
                _(
                    "Fastest-growing category in %(period)s: %(name)s, %(count)s tickets, %(delta)s more than in %(before)s%(rel)s."
                )
                % {
                    "period": last.label,
                    "name": names.get(group, group),
                    "count": fmt(current[group], "count"),
                    "delta": fmt(delta, "count"),
                    "before": before.label,
                    "rel": rel,
                },
                "+" + fmt(delta, "count"),
                delta,
                drill_link(key, last.start, last.end, by="category", group=group, filters=scope)
                if metric.drill
                else "",
            )
        )
    return out


def prefill(plan: Plan) -> list[Finding]:
    """Writes the findings of a new plan (replacing any not yet worked by the author)."""
    plan.findings.filter(state="kept").delete()
    start = plan.findings.count()
    rows = [
        Finding(
            plan=plan,
            position=start + i,
            topic=d.topic,
            metric=d.metric,
            text=d.text,
            original_text=d.text,
            figure=d.figure,
            value=d.value,
            link=d.link,
        )
        for i, d in enumerate(findings_for(plan))
    ]
    return Finding.objects.bulk_create(rows)
