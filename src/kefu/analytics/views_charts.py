"""What the dashboards draw: headline figures, charts and tables, each number linked to the ordinary
ticket list of the tickets behind it. Figures come from a `views_query.Source` (the metric registry).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .views_query import (
    AGE_LABELS,
    EXPECTED_NAMES,
    MAX_GROUPS,
    UNIT_SUFFIX,
    Source,
    Unavailable,
    bucket_label,
    buckets,
    drill_url,
    format_value,
    group_labels,
    metric_or_none,
)

# --------------------------------------------------------------------------- headline figures


@dataclass
class Figure:
    """One headline number: the period's value, the previous period's, the target, the tickets."""

    key: str
    name: str
    description: str
    unit: str
    direction: str
    value: float | None = None
    previous: float | None = None
    target: float | None = None
    url: str = ""
    missing: str = ""  # why there is no value ("not available yet")
    aggregate: str = "count"

    @property
    def text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return format_value(self.target, self.unit) if self.target is not None else ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return ""
        if self.unit == "count":
            return f"{change / self.previous * 100:+.0f}%" if self.previous else ""
        if self.unit == "percent":
            return _("%(n)s pts") % {"n": f"{change:+.1f}"}
        return f"{change:+.1f}"

    @property
    def tone(self) -> str:
        """ "good" / "bad" / "" for the change, by the metric's direction."""
        change = self.change
        if not change:
            return ""
        better = change > 0 if self.direction == "higher" else change < 0
        return "good" if better else "bad"

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.direction == "higher" else self.value <= self.target


def figure(key: str, src: Source, *, compare: bool = True) -> Figure:
    metric = metric_or_none(key)
    if metric is None:
        name = str(EXPECTED_NAMES.get(key, key))
        return Figure(key, name, "", "count", "higher", missing=_("Not available yet."))
    out = Figure(key, str(metric.name), str(metric.description), metric.unit, metric.direction)
    out.target, out.aggregate = metric.target, metric.aggregate
    try:
        out.value = src.total(key)
        if compare:
            out.previous = src.total(key, previous=True)
    except Unavailable as err:
        out.missing = err.message
        return out
    if metric.drill is not None:
        period = src.period
        out.url = drill_url(key, period.start, period.end, filters=src.filters)
    return out


# --------------------------------------------------------------------------- charts


@dataclass
class Line:
    name: str
    values: list[float | None]
    urls: list[str]


@dataclass
class Chart:
    """One chart and the same numbers as a table. `kind`: line, bar, stack (stacked bars), hbar."""

    id: str
    title: str
    kind: str = "line"
    unit: str = "count"
    x: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    target: float | None = None
    description: str = ""
    missing: str = ""  # the whole chart cannot be drawn: why
    notes: list[str] = field(default_factory=list)  # some series left out: why
    extra_columns: list[tuple[str, list[str]]] = field(default_factory=list)  # table-only columns

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit": str(UNIT_SUFFIX.get(self.unit, "")),
            "x": self.x,
            "series": [{"name": line.name, "data": line.values, "urls": line.urls} for line in self.lines],
            "target": self.target,
            "target_label": _("Target") if self.target is not None else "",
        }

    def table(self) -> list[dict[str, Any]]:
        """Rows of the table: the x label, then one cell per line (text, and the link when the
        point has tickets behind it)."""
        rows = []
        for i, label in enumerate(self.x):
            cells = [
                {
                    "text": format_value(line.values[i], self.unit),
                    "url": line.urls[i] if line.values[i] else "",
                }
                for line in self.lines
            ]
            cells += [{"text": values[i], "url": ""} for _name, values in self.extra_columns]
            rows.append({"label": label, "cells": cells})
        return rows

    @property
    def headers(self) -> list[str]:
        return [line.name for line in self.lines] + [name for name, _values in self.extra_columns]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def trend_lines(key: str, src: Source, *, by: str | None = None, name: str = "") -> list[Line]:
    """One line per group of `by` (its biggest MAX_GROUPS) or one line, over the period's buckets,
    each point linked to its tickets."""
    series = src.series(key, by=by)
    metric, period = series.metric, src.period
    spans = buckets(period)
    index = {first: i for i, (first, _last) in enumerate(spans)}
    counted = metric.aggregate in ("count", "stock")
    groups: dict[str, list[float | None]] = {}
    sizes: dict[str, float] = {}
    for point in series.points:
        first = max(point.bucket or period.start, period.start)
        if first not in index:
            continue
        values = groups.setdefault(point.group, [None] * len(spans))
        values[index[first]] = _round(point.value)
        sizes[point.group] = sizes.get(point.group, 0.0) + (point.num if counted else point.den)
    if by is None:
        groups.setdefault("", [None] * len(spans))
    ordered = sorted(groups, key=lambda g: -sizes.get(g, 0.0))[:MAX_GROUPS]
    labels = group_labels(by, ordered)
    lines = []
    for group in ordered:
        values = groups[group]
        if metric.aggregate == "count":  # no row for a day = nothing happened that day
            values = [0.0 if v is None else v for v in values]
        urls = [
            drill_url(key, first, last, by=by, group=group if by else None, filters=src.filters)
            if metric.drill is not None
            else ""
            for first, last in spans
        ]
        lines.append(Line(labels[group] if by else (name or str(metric.name)), values, urls))
    return lines


def trend_chart(
    chart_id: str,
    title: str,
    keys: Iterable[str],
    src: Source,
    *,
    kind: str = "line",
    by: str | None = None,
) -> Chart:
    """One or more metrics over the period (the chart takes the first one's unit and target)."""
    chart = Chart(
        chart_id, title, kind=kind, x=[bucket_label(f, src.period.grain) for f, _l in buckets(src.period)]
    )
    for key in keys:
        metric = metric_or_none(key)
        if metric is None:
            continue  # said once below if nothing at all can be drawn
        try:
            lines = trend_lines(key, src, by=by)
        except Unavailable as err:
            chart.notes.append(err.message)
            continue
        if not chart.lines:
            chart.unit, chart.target = metric.unit, metric.target
            chart.description = str(metric.formula or metric.description)
        chart.lines += lines
    if not chart.lines:
        chart.missing = " ".join(chart.notes) or _("Not available yet.")
    elif all(v is None for line in chart.lines for v in line.values):
        chart.missing = _("No tickets in this period.")  # a mean or a rate of nothing: no axes to draw
    return chart


def ranking_chart(chart_id: str, title: str, key: str, src: Source, by: str, *, limit: int = 10) -> Chart:
    """The biggest groups of `by` over the period, with their change against the previous period."""
    chart = Chart(chart_id, title, kind="hbar")
    prev = src.period.previous()
    try:
        current = src.series(key, by=by, grain=None)
        before = {
            p.group: p.value
            for p in src.series(key, by=by, grain=None, start=prev.start, end=prev.end).points
        }
    except Unavailable as err:
        chart.missing = err.message
        return chart
    metric = current.metric
    chart.unit, chart.description = metric.unit, str(metric.formula or metric.description)
    top = sorted(current.points, key=lambda p: -(p.value or 0))[:limit]
    labels = group_labels(by, [p.group for p in top])
    chart.x = [labels[p.group] for p in top]
    period = src.period
    urls = [
        drill_url(key, period.start, period.end, by=by, group=p.group, filters=src.filters)
        if metric.drill
        else ""
        for p in top
    ]
    chart.lines = [Line(str(metric.name), [_round(p.value) for p in top], urls)]
    growth = []
    for p in top:
        old = before.get(p.group)
        if old:
            growth.append(f"{((p.value or 0) - old) / old * 100:+.0f}%")
        else:
            growth.append(pgettext("growth", "new") if p.value else "—")
    chart.extra_columns = [
        (_("Previous period"), [format_value(before.get(p.group), metric.unit) for p in top]),
        (_("Growth"), growth),
    ]
    return chart


def stock_chart(chart_id: str, title: str, key: str, src: Source, by: str) -> Chart:
    """A stock (the backlog) cut by `by` on the period's last day, one bar per group."""
    chart = Chart(chart_id, title, kind="bar")
    end = src.period.end
    try:
        series = src.series(key, by=by, grain=None, start=end, end=end)
    except Unavailable as err:
        chart.missing = err.message
        return chart
    metric = series.metric
    chart.unit, chart.description = metric.unit, str(metric.formula or metric.description)
    order = list(AGE_LABELS) if by == "age" else sorted(p.group for p in series.points)
    points = sorted(series.points, key=lambda p: order.index(p.group) if p.group in order else len(order))
    labels = group_labels(by, [p.group for p in points])
    chart.x = [labels[p.group] for p in points]
    urls = [
        drill_url(key, end, end, by=by, group=p.group, filters=src.filters) if metric.drill else ""
        for p in points
    ]
    chart.lines = [Line(str(metric.name), [_round(p.value) for p in points], urls)]
    return chart


def versus_chart(
    chart_id: str, title: str, key: str, mine: Source, team: Source | None, *, me: str, team_size: int = 0
) -> Chart:
    """One metric over the period: the agent's line, the team's (per agent for counts), the target."""
    chart = Chart(chart_id, title, x=[bucket_label(f, mine.period.grain) for f, _l in buckets(mine.period)])
    metric = metric_or_none(key)
    if metric is None:
        chart.missing = _("Not available yet.")
        return chart
    chart.unit, chart.target = metric.unit, metric.target
    chart.description = str(metric.formula or metric.description)
    try:
        chart.lines = trend_lines(key, mine, name=me)
        if team is not None:
            theirs = trend_lines(key, team, name=_("Team"))
            if metric.aggregate == "count" and team_size:
                for line in theirs:
                    line.name = _("Team (per agent)")
                    line.values = [None if v is None else round(v / team_size, 2) for v in line.values]
                    line.urls = ["" for _u in line.urls]  # a share of the team's tickets has no list
            chart.lines += theirs
    except Unavailable as err:
        chart.missing, chart.lines = err.message, []
    return chart


# --------------------------------------------------------------------------- tables of groups


@dataclass
class Breakdown:
    """A table: one row per group of a dimension (teams, agents), one column per metric."""

    dimension: str
    columns: list[str]
    rows: list[dict[str, Any]]
    notes: list[str]


def breakdown(keys: Iterable[str], src: Source, by: str, *, link: str = "") -> Breakdown:
    """Each metric cut by `by` over the period; every cell links to its tickets, each group to its
    own dashboard when `link` names one ("team", "agent")."""
    columns: list[str] = []
    notes: list[str] = []
    values: dict[str, dict[str, tuple[str, str]]] = {}
    sizes: dict[str, float] = {}
    period = src.period
    for key in keys:
        try:
            series = src.series(key, by=by, grain=None)
        except Unavailable as err:
            notes.append(err.message)
            continue
        metric = series.metric
        columns.append(str(metric.name))
        for point in series.points:
            url = drill_url(key, period.start, period.end, by=by, group=point.group, filters=src.filters)
            cell = (format_value(point.value, metric.unit), url if metric.drill else "")
            values.setdefault(point.group, {})[str(metric.name)] = cell
            if metric.aggregate == "count":
                sizes[point.group] = max(sizes.get(point.group, 0.0), point.num)
    labels = group_labels(by, list(values))
    rows = []
    for group in sorted(values, key=lambda g: (-sizes.get(g, 0.0), labels[g])):
        url = ""
        if link and group.isdigit():
            url = reverse(f"analytics:{link}", args=[int(group)]) + "?" + urlencode(period.params())
        cells = [values[group].get(col, ("—", "")) for col in columns]
        rows.append(
            {
                "group": group,
                "label": labels[group],
                "url": url,
                "cells": [{"text": text, "url": cell_url} for text, cell_url in cells],
            }
        )
    return Breakdown(by, columns, rows, notes)


def comparison(
    keys: Iterable[str], mine: Source, team: Source | None, *, team_size: int = 0
) -> list[dict[str, Any]]:
    """An agent's figures against their team's and the target. Counts compare per agent: the
    team's count divided by its number of agents."""
    rows = []
    for key in keys:
        me = figure(key, mine, compare=False)
        row: dict[str, Any] = {"figure": me, "team_text": "", "team_url": "", "versus": ""}
        if team is not None and not me.missing:
            theirs = figure(key, team, compare=False)
            value = theirs.value
            if me.aggregate == "count" and value is not None and team_size:
                value = value / team_size
            row["team_text"] = theirs.missing or format_value(value, me.unit)
            row["team_url"] = theirs.url if me.aggregate != "count" else ""
            if me.value is not None and value is not None and me.value != value:
                better = me.value > value if me.direction == "higher" else me.value < value
                row["versus"] = "good" if better else "bad"
        rows.append(row)
    return rows
