"""The monthly service report (每月服务报告): what the plans review every month, from the registry.

Every figure comes from `kefu.core.metrics` (`total` for the headline, `compute` for trends, top
issues and the agent table), never a second computation of its own, so the report, the dashboards
and the work-plan goals always agree. A key no app has registered yet is listed as "not available
yet" instead of failing the report. Only the list of breached SLA timers is read from rows (a list,
not a figure), through `breached_timers`.

One `MonthlyReport` is built once and rendered as HTML (the page), PDF, XLSX and JSON.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import metrics
from kefu.core.clock import now

from .labels import group_labels

# The headline, in the order the plans list them (issue 17; metrics.md has the agreed keys).
HEADLINE_KEYS: tuple[str, ...] = (
    "tickets_created",
    "tickets_solved",
    "backlog",
    "tickets_per_agent_day",
    "first_response_minutes",
    "first_response_business_minutes",
    "next_response_minutes",
    "resolution_hours",
    "handling_minutes",
    "fcr_rate",
    "reopen_rate",
    "sla_compliance",
    "csat",
    "csat_response_rate",
    "nps",
    "complaint_rate",
    "second_complaint_rate",
    "repeat_dispatch_rate",
    "bot_containment",
    "touch_rate",
)
TREND_KEYS: tuple[str, ...] = (
    "tickets_created",
    "tickets_solved",
    "first_response_minutes",
    "resolution_hours",
    "sla_compliance",
    "csat",
    "complaint_rate",
)
AGENT_KEYS: tuple[str, ...] = (
    "tickets_solved",
    "tickets_per_agent_day",
    "first_response_minutes",
    "resolution_hours",
    "handling_minutes",
    "fcr_rate",
    "reopen_rate",
    "sla_compliance",
    "csat",
)
ISSUE_KEY = "tickets_created"
ISSUE_DIMENSIONS: tuple[str, ...] = ("category", "type")
SLA_KEY = "sla_compliance"
TOP_ISSUES = 10
BREACH_LIST = 100  # breached timers shown on the page and in the PDF; the XLSX lists every one
TREND_MONTHS = 12


class ReportError(ValueError):
    """A report that cannot be made (a month in the wrong form, a month not over yet is fine)."""


def parse_month(text: str) -> date:
    """'2026-10' → date(2026, 10, 1); a clear error for anything else."""
    try:
        year, month = (int(part) for part in str(text).strip().split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ReportError(
            _("A month is written YYYY-MM, e.g. 2026-10 (got %(value)r).") % {"value": text}
        ) from None


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def period(first: date) -> str:
    return f"{first:%Y-%m}"


def last_closed_month(at: datetime | None = None) -> date:
    local = timezone.localtime(at or now())
    return add_months(local.date().replace(day=1), -1)


@dataclass(frozen=True)
class Figure:
    key: str
    name: str
    unit: str
    direction: str
    available: bool
    value: float | None = None
    previous: float | None = None
    last_year: float | None = None
    target: float | None = None
    aggregate: str = "count"

    @staticmethod
    def _change(now_: float | None, then: float | None) -> float | None:
        if now_ is None or then is None:
            return None
        return now_ - then

    @property
    def change_previous(self) -> float | None:
        """Absolute change (percentage points for a percent) against the previous month."""
        return self._change(self.value, self.previous)

    @property
    def change_last_year(self) -> float | None:
        return self._change(self.value, self.last_year)

    def verdict(self, change: float | None) -> str:
        """'better', 'worse' or '' (no change, or no comparison)."""
        if not change:
            return ""
        up = change > 0
        return "better" if up == (self.direction == "higher") else "worse"

    @property
    def verdict_previous(self) -> str:
        return self.verdict(self.change_previous)

    @property
    def verdict_last_year(self) -> str:
        return self.verdict(self.change_last_year)


@dataclass(frozen=True)
class Trend:
    key: str
    name: str
    unit: str
    months: list[date]
    values: list[float | None]
    aggregate: str = "count"


@dataclass(frozen=True)
class Issue:
    dimension: str
    group: str
    label: str
    count: float
    previous: float

    @property
    def growth(self) -> float | None:
        """Relative change against the previous month (0.25 = +25 %); None when it was 0."""
        return (self.count - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True)
class Breach:
    ticket_id: int
    number: str
    subject: str
    metric: str
    priority: str
    team: str
    assignee: str
    due_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class SlaTarget:
    target: str  # the SLA target's code (first_response, resolution…)
    label: str
    compliance: float | None
    breaches: float
    previous: float | None  # last month's compliance


@dataclass(frozen=True)
class AgentRow:
    agent: str  # the group code (user id), "" for tickets without an agent
    name: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class Column:
    key: str
    name: str
    unit: str
    aggregate: str = "count"


@dataclass
class MonthlyReport:
    month: date
    start: date
    end: date
    generated_at: datetime
    headline: list[Figure]
    trends: list[Trend]
    trend_months: list[date]
    issues: dict[str, list[Issue]]
    sla: Figure | None
    breaches_count: float | None
    breaches_previous: float | None
    breaches: list[Breach]  # the first BREACH_LIST of them (all of them in the XLSX)
    breaches_listed: int  # how many timers breached in the month
    sla_targets: list[SlaTarget]
    agent_columns: list[Column]
    agents: list[AgentRow]
    unavailable: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        return period(self.month)

    @property
    def title(self) -> str:
        return _("Monthly service report %(year)d-%(month)02d") % {
            "year": self.month.year,
            "month": self.month.month,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: numbers as numbers, days as ISO strings (`kefu report monthly --format json`)."""

        def fig(f: Figure) -> dict[str, Any]:
            return {
                "key": f.key,
                "name": f.name,
                "unit": f.unit,
                "direction": f.direction,
                "available": f.available,
                "value": f.value,
                "previous_month": f.previous,
                "same_month_last_year": f.last_year,
                "change_previous_month": f.change_previous,
                "change_last_year": f.change_last_year,
                "target": f.target,
            }

        return {
            "report": "monthly",
            "period": self.period,
            "title": self.title,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "headline": [fig(f) for f in self.headline],
            "trends": {
                "months": [period(m) for m in self.trend_months],
                "series": [
                    {"key": t.key, "name": t.name, "unit": t.unit, "values": t.values} for t in self.trends
                ],
            },
            "top_issues": {
                dim: [
                    {
                        "group": i.group,
                        "label": i.label,
                        "count": i.count,
                        "previous_month": i.previous,
                        "growth": i.growth,
                    }
                    for i in items
                ]
                for dim, items in self.issues.items()
            },
            "sla": {
                "compliance": fig(self.sla) if self.sla else None,
                "breaches": self.breaches_count,
                "breaches_previous_month": self.breaches_previous,
                "breached_timers": self.breaches_listed,
                "by_target": [
                    {
                        "target": t.target,
                        "label": t.label,
                        "compliance": t.compliance,
                        "breaches": t.breaches,
                        "compliance_previous_month": t.previous,
                    }
                    for t in self.sla_targets
                ],
                "breached": [
                    {
                        "ticket": b.number,
                        "subject": b.subject,
                        "metric": b.metric,
                        "priority": b.priority,
                        "team": b.team,
                        "assignee": b.assignee,
                        "due_at": b.due_at.isoformat() if b.due_at else None,
                        "breached_at": b.breached_at.isoformat() if b.breached_at else None,
                    }
                    for b in self.breaches
                ],
            },
            "agents": {
                "columns": [{"key": c.key, "name": c.name, "unit": c.unit} for c in self.agent_columns],
                "rows": [{"agent": a.agent, "name": a.name, "values": a.values} for a in self.agents],
            },
            "not_available_yet": self.unavailable,
        }


def _metric(key: str) -> metrics.Metric | None:
    try:
        return metrics.get(key)
    except metrics.MetricError:
        return None


def _total(key: str, first: date) -> float | None:
    return metrics.total(key, start=first, end=month_end(first))


def headline_figure(key: str, first: date) -> Figure:
    metric = _metric(key)
    if metric is None:
        return Figure(key=key, name=key, unit="", direction="higher", available=False)
    return Figure(
        key=key,
        name=str(metric.name),
        unit=metric.unit,
        direction=metric.direction,
        available=True,
        value=_total(key, first),
        previous=_total(key, add_months(first, -1)),
        last_year=_total(key, add_months(first, -12)),
        target=metric.target,
        aggregate=metric.aggregate,
    )


def _trend(metric: metrics.Metric, months: list[date]) -> Trend:
    series = metrics.compute(metric.key, start=months[0], end=month_end(months[-1]), grain="month")
    by_month = {p.bucket: p.value for p in series.points}
    empty = 0.0 if metric.aggregate in ("count", "stock") else None
    return Trend(
        key=metric.key,
        name=str(metric.name),
        unit=metric.unit,
        months=months,
        values=[by_month.get(m, empty) for m in months],
        aggregate=metric.aggregate,
    )


def _by_group(key: str, first: date, by: str) -> dict[str, metrics.Point]:
    series = metrics.compute(key, start=first, end=month_end(first), by=by)
    return {p.group: p for p in series.points}


def top_issues(first: date, dimension: str, *, key: str = ISSUE_KEY, limit: int = TOP_ISSUES) -> list[Issue]:
    """The groups with the most new tickets this month, with last month's count beside them."""
    metric = _metric(key)
    if metric is None or dimension not in metric.dimensions:
        return []
    current = _by_group(key, first, dimension)
    previous = _by_group(key, add_months(first, -1), dimension)
    ranked = sorted(
        ((g, p.value or 0.0) for g, p in current.items() if p.value), key=lambda gv: (-gv[1], gv[0])
    )[:limit]
    labels = group_labels(dimension, [g for g, _v in ranked])
    return [
        Issue(
            dimension=dimension,
            group=g,
            label=labels[g],
            count=v,
            previous=(previous[g].value or 0.0) if g in previous else 0.0,
        )
        for g, v in ranked
    ]


def _breach_count(first: date) -> float | None:
    """Timers that missed their target: the SLA metric's base minus its hits."""
    if _metric(SLA_KEY) is None:
        return None
    series = metrics.compute(SLA_KEY, start=first, end=month_end(first))
    if not series.points:
        return 0.0
    point = series.points[0]
    return point.den - point.num


def sla_by_target(first: date) -> list[SlaTarget]:
    """Compliance and breaches per SLA target (first response, resolution…), when the metric is cut so."""
    metric = _metric(SLA_KEY)
    if metric is None or "target" not in metric.dimensions:
        return []
    current = _by_group(SLA_KEY, first, "target")
    previous = _by_group(SLA_KEY, add_months(first, -1), "target")
    labels = group_labels("target", current)
    return [
        SlaTarget(
            target=g,
            label=labels[g],
            compliance=p.value,
            breaches=p.den - p.num,
            previous=previous[g].value if g in previous else None,
        )
        for g, p in sorted(current.items())
    ]


def breached_timers(first: date, *, limit: int | None = None) -> Iterator[Breach]:
    """SLA timers breached during the month, oldest first, read in chunks (a list of rows, no cap
    unless `limit`; the month's breach count is the SLA metric's)."""
    from kefu.sla.models import SlaTimer, TimerState

    win = metrics.window(first, month_end(first))
    rows = (
        SlaTimer.objects.filter(
            state=TimerState.BREACHED, breached_at__gte=win.since, breached_at__lt=win.until
        )
        .select_related("ticket__team", "ticket__assignee")
        .order_by("breached_at", "pk")
    )
    if limit is not None:
        rows = rows[:limit]
    for t in rows.iterator(chunk_size=1000):
        yield Breach(
            ticket_id=t.ticket_id,
            number=t.ticket.number,
            subject=t.ticket.subject,
            metric=str(t.get_metric_display()),
            priority=str(t.ticket.get_priority_display()),
            team=t.ticket.team.name if t.ticket.team else "",
            assignee=t.ticket.assignee.name if t.ticket.assignee else "",
            due_at=t.due_at,
            breached_at=t.breached_at,
        )


def count_breached_timers(first: date) -> int:
    from kefu.sla.models import SlaTimer, TimerState

    win = metrics.window(first, month_end(first))
    return SlaTimer.objects.filter(
        state=TimerState.BREACHED, breached_at__gte=win.since, breached_at__lt=win.until
    ).count()


def agent_table(first: date, keys: Sequence[str] = AGENT_KEYS) -> tuple[list[Column], list[AgentRow]]:
    """One row per agent with a figure this month, one column per metric that can be cut by agent."""
    columns: list[Column] = []
    values: dict[str, dict[str, float | None]] = {}
    for key in keys:
        metric = _metric(key)
        if metric is None or "agent" not in metric.dimensions:
            continue
        columns.append(Column(key=key, name=str(metric.name), unit=metric.unit, aggregate=metric.aggregate))
        for group, point in _by_group(key, first, "agent").items():
            values.setdefault(group, {})[key] = point.value
    labels = group_labels("agent", values)
    rows = [
        AgentRow(agent=g, name=labels[g], values={c.key: values[g].get(c.key) for c in columns})
        for g in values
    ]
    rows.sort(key=lambda r: (r.agent == "", r.name))  # "no agent" last
    return columns, rows


def build_monthly(
    first: date,
    *,
    headline_keys: Iterable[str] = HEADLINE_KEYS,
    trend_keys: Iterable[str] = TREND_KEYS,
    agent_keys: Sequence[str] = AGENT_KEYS,
    issue_key: str = ISSUE_KEY,
    breach_limit: int = BREACH_LIST,
) -> MonthlyReport:
    """The report of the month starting `first` (any day of the month is taken as its month)."""
    first = first.replace(day=1)
    headline = [headline_figure(key, first) for key in headline_keys]
    months = [add_months(first, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
    trends = [_trend(m, months) for key in trend_keys if (m := _metric(key)) is not None]
    columns, agents = agent_table(first, agent_keys)
    sla = headline_figure(SLA_KEY, first)
    unavailable = sorted(
        {f.key for f in headline if not f.available} | ({SLA_KEY} if not sla.available else set())
    )
    return MonthlyReport(
        month=first,
        start=first,
        end=month_end(first),
        generated_at=now(),
        headline=headline,
        trends=trends,
        trend_months=months,
        issues={dim: top_issues(first, dim, key=issue_key) for dim in ISSUE_DIMENSIONS},
        sla=sla if sla.available else None,
        breaches_count=_breach_count(first),
        breaches_previous=_breach_count(add_months(first, -1)),
        breaches=list(breached_timers(first, limit=breach_limit)),
        breaches_listed=count_breached_timers(first),
        sla_targets=sla_by_target(first),
        agent_columns=columns,
        agents=agents,
        unavailable=unavailable,
    )
