"""The question a dashboard asks: its period and filters, the words for codes and buckets, the
link to the tickets behind a point (`/agent/?drill=…`, read by tickets.views_agent), and where the
figures come from (`Source`: the analytics overview, else `core.metrics.compute`).

A metric that is not registered yet (feedback's CSAT before the feedback app lands) reads
"not available yet"; a filter a metric cannot take is said, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Team, User
from kefu.core import metrics
from kefu.core.clock import now
from kefu.core.errors import ValidationFailed
from kefu.customers.models import Tier
from kefu.tickets.metrics.volume import AGE_BUCKETS
from kefu.tickets.models import Category, Channel, Priority, TicketType

# Period presets (days back from today, today included).
PRESETS: dict[str, tuple[int, Any]] = {
    "7d": (7, gettext_lazy("Last 7 days")),
    "30d": (30, gettext_lazy("Last 30 days")),
    "90d": (90, gettext_lazy("Last 90 days")),
    "180d": (180, gettext_lazy("Last 6 months")),
    "365d": (365, gettext_lazy("Last 12 months")),
}
DEFAULT_PRESET = "90d"
GRAIN_LABELS = {
    "day": gettext_lazy("By day"),
    "week": gettext_lazy("By week"),
    "month": gettext_lazy("By month"),
    "quarter": gettext_lazy("By quarter"),
}
# The dimensions the dashboards' filter bar offers (agent: through the agent's own view).
FILTER_DIMENSIONS = ("channel", "team", "priority", "type", "tier", "category")
DIMENSION_LABELS = {
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent": gettext_lazy("Agent"),
    "tier": gettext_lazy("Customer tier"),
    "category": gettext_lazy("Category"),
    "type": gettext_lazy("Type"),
    "priority": gettext_lazy("Priority"),
    "department": gettext_lazy("Department"),
    "age": gettext_lazy("Age"),
}
CHOICES = {"channel": Channel, "priority": Priority, "type": TicketType, "tier": Tier}
UNIT_SUFFIX = {
    "percent": "%",
    "minutes": gettext_lazy("min"),
    "hours": gettext_lazy("h"),
    "seconds": gettext_lazy("s"),
}
NONE = "none"  # the group of tickets without a value (tickets.metrics.common.NONE)
NONE_LABELS = {
    "team": gettext_lazy("No team"),
    "agent": gettext_lazy("Unassigned"),
    "category": gettext_lazy("No category"),
    "department": gettext_lazy("No department"),
}
# The backlog's aging buckets, in their order, as a chart's axis reads them.
AGE_LABELS = {key: label for key, _low, _high, label in AGE_BUCKETS}
# What the figures agreed for apps that have not landed yet are called (metrics.md), so a card that
# says "not available yet" still says what it is waiting for.
EXPECTED_NAMES = {
    "csat": gettext_lazy("Satisfaction (CSAT)"),
    "csat_very_satisfied": gettext_lazy("Very satisfied"),
    "nps": gettext_lazy("Net promoter score (NPS)"),
    "complaint_rate": gettext_lazy("Complaint rate"),
    "second_complaint_rate": gettext_lazy("Second-complaint rate"),
    "sla_compliance": gettext_lazy("SLA compliance"),
    "bot_containment": gettext_lazy("Bot containment"),
}
MAX_GROUPS = 8  # a chart cut by a dimension shows its biggest groups; the table has them all


# --------------------------------------------------------------------------- the question asked


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    grain: str
    preset: str  # one of PRESETS, or "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The same number of days just before this period (for the change shown on a figure)."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, self.grain, self.preset)

    def params(self) -> dict[str, str]:
        if self.preset != "custom":
            return {"period": self.preset, "grain": self.grain}
        return {
            "period": "custom",
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "grain": self.grain,
        }


def today() -> date:
    return now().astimezone(metrics.local_zone()).date()


def auto_grain(days: int) -> str:
    if days <= 31:
        return "day"
    if days <= 186:
        return "week"
    return "month"


def parse_period(params: Mapping[str, str]) -> Period:
    """The period of a dashboard's query string: a preset (default 90 days) or from/to dates."""
    preset = (params.get("period") or "").strip() or DEFAULT_PRESET
    end = today()
    if preset == "custom" or (params.get("from") and preset not in PRESETS):
        preset = "custom"
        try:
            start = date.fromisoformat((params.get("from") or "").strip())
            end = date.fromisoformat((params.get("to") or "").strip() or end.isoformat())
        except ValueError:
            raise ValidationFailed(_("Give the period as two dates, YYYY-MM-DD."), field="from")
        try:
            metrics.window(start, end)
        except metrics.MetricError as err:
            raise ValidationFailed(_period_message(err), field=err.field or "from")
    elif preset in PRESETS:
        start = end - timedelta(days=PRESETS[preset][0] - 1)
    else:
        raise ValidationFailed(
            _("Unknown value for %(field)s: %(value)s.") % {"field": "period", "value": preset[:20]},
            field="period",
        )
    grain = (params.get("grain") or "").strip() or auto_grain((end - start).days + 1)
    if grain not in metrics.GRAINS:
        raise ValidationFailed(
            _("Unknown value for %(field)s: %(value)s.") % {"field": "grain", "value": grain[:20]},
            field="grain",
        )
    return Period(start, end, grain, preset)


def _period_message(err: metrics.MetricError) -> str:
    if err.field == "from":
        return _("The start of the period is after its end.")
    return _("A period may span at most five years.")


def parse_filters(params: Any, dimensions: Iterable[str] = FILTER_DIMENSIONS) -> dict[str, tuple[str, ...]]:
    """{dimension: (value,)} from the filter bar; a value that names nothing is refused."""
    out: dict[str, tuple[str, ...]] = {}
    for dim in dimensions:
        value = (params.get(dim) or "").strip()
        if not value:
            continue
        choices = CHOICES.get(dim)
        ok = value in choices.values if choices else value.isascii() and value.isdigit() and len(value) < 12
        if not ok:
            raise ValidationFailed(
                _("Unknown value for %(field)s: %(value)s.") % {"field": dim, "value": value[:50]}, field=dim
            )
        out[dim] = (value,)
    return out


# --------------------------------------------------------------------------- words for codes


def group_labels(dim: str | None, values: Iterable[str]) -> dict[str, str]:
    """What a group of a dimension is called in the reader's language (one query per dimension)."""
    values = [v for v in values]
    labels: dict[str, str] = {}
    if dim is None:
        return {v: "" for v in values}
    ids = [int(v) for v in values if v.isascii() and v.isdigit()]
    english = (get_language() or "").startswith("en")
    if dim in CHOICES:
        known = dict(CHOICES[dim].choices)
        labels = {v: str(known.get(v, v)) for v in values}
    elif dim == "team":
        labels = {str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")}
    elif dim == "department":
        labels = {
            str(pk): name for pk, name in Department.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    elif dim == "agent":
        labels = {str(u.pk): u.name for u in User.objects.filter(pk__in=ids)}
    elif dim == "category":
        for cat in Category.objects.filter(pk__in=ids).select_related("parent"):
            name = cat.name_en if english and cat.name_en else cat.name
            parent = cat.parent
            if parent is not None:
                name = f"{parent.name_en if english and parent.name_en else parent.name} / {name}"
            labels[str(cat.pk)] = name
    elif dim == "age":
        labels = {key: str(label) for key, label in AGE_LABELS.items()}
    none = NONE_LABELS.get(dim, _("(none)"))
    return {v: none if v in ("", NONE) else labels.get(v, v) for v in values}


def bucket_label(day: date | None, grain: str | None) -> str:
    if day is None:
        return ""
    # Translators: a Django date format for a chart's day axis (zh-Hans: n月j日)
    short = formats.date_format(day, pgettext("chart day", "M j"))
    if grain == "day":
        return short
    if grain == "week":
        return _("wk %(day)s") % {"day": short}
    if grain == "month":
        # Translators: a Django date format for a chart's month axis (zh-Hans: Y年n月)
        return formats.date_format(day, pgettext("chart month", "M Y"))
    return _("%(year)s Q%(quarter)s") % {"year": day.year, "quarter": (day.month - 1) // 3 + 1}


def buckets(period: Period) -> list[tuple[date, date]]:
    """The period's buckets of its grain as (first day, last day), clipped to the period."""
    out = []
    day = period.start
    while day <= period.end:
        first = metrics.bucket_of(day, period.grain) or day
        nxt = day + timedelta(days=1)
        while nxt <= period.end and metrics.bucket_of(nxt, period.grain) == first:
            nxt += timedelta(days=1)
        out.append((day, nxt - timedelta(days=1)))
        day = nxt
    return out


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "count":
        return formats.number_format(round(value), use_l10n=True, force_grouping=True)
    if unit == "percent":
        return f"{value:.1f}%"
    suffix = UNIT_SUFFIX.get(unit, "")
    text = formats.number_format(round(value, 1), decimal_pos=1, use_l10n=True, force_grouping=True)
    return f"{text} {suffix}".strip()


# --------------------------------------------------------------------------- links to the tickets


def drill_url(
    key: str,
    start: date,
    end: date,
    *,
    by: str | None = None,
    group: str | None = None,
    filters: Mapping[str, tuple[str, ...]] | None = None,
) -> str:
    """The ordinary ticket list of the tickets behind one point (tickets.views_agent reads these)."""
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


# --------------------------------------------------------------------------- figures


class Unavailable(Exception):
    """A figure the page cannot show: not registered yet, or not filterable as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def metric_or_none(key: str) -> metrics.Metric | None:
    try:
        return metrics.get(key)
    except metrics.MetricError:
        return None


def _usable_filters(
    metric: metrics.Metric, filters: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    missing = [d for d in filters if d not in metric.dimensions]
    if missing:
        raise Unavailable(
            _("%(metric)s cannot be filtered by %(dimensions)s.")
            % {
                "metric": metric.name,
                "dimensions": ", ".join(str(DIMENSION_LABELS.get(d, d)) for d in missing),
            }
        )
    return dict(filters)


def compute(
    key: str,
    start: date,
    end: date,
    *,
    grain: str | None = None,
    by: str | None = None,
    filters: Mapping[str, tuple[str, ...]] | None = None,
) -> metrics.Series:
    metric = metric_or_none(key)
    if metric is None:
        raise Unavailable(_("Not available yet."))
    usable = _usable_filters(metric, filters or {})
    if by is not None and by not in metric.dimensions:
        raise Unavailable(
            _("%(metric)s cannot be cut by %(dimension)s.")
            % {"metric": metric.name, "dimension": DIMENSION_LABELS.get(by, by)}
        )
    return metrics.compute(key, start=start, end=end, grain=grain, by=by, filters=usable)


SAME = "same"  # Source.series: the period's own grain


class Source:
    """Where a page's figures come from, each question asked once per page: the analytics overview's
    figures (`analytics.selectors.overview`, one call, what benchmarks/analytics.py times) when the
    page has them, else `core.metrics.compute` (rollups when they cover the question, SQL otherwise)."""

    def __init__(self, period: Period, filters: Mapping[str, tuple[str, ...]], overview: Any = None) -> None:
        self.period, self.filters, self.overview = period, dict(filters), overview
        self._cache: dict[tuple, metrics.Series | Unavailable] = {}

    def narrowed(self, **filters: tuple[str, ...]) -> Source:
        """The same period with more filters (a team, an agent): its own questions, no overview."""
        return Source(self.period, {**self.filters, **filters})

    def series(
        self,
        key: str,
        *,
        by: str | None = None,
        grain: str | None = SAME,
        start: date | None = None,
        end: date | None = None,
    ) -> metrics.Series:
        grain = self.period.grain if grain == SAME else grain
        start, end = start or self.period.start, end or self.period.end
        slot = (key, by, grain, start, end)
        if slot not in self._cache:
            try:
                self._cache[slot] = self._ask(key, by, grain, start, end)
            except Unavailable as err:
                self._cache[slot] = err
        found = self._cache[slot]
        if isinstance(found, Unavailable):
            raise found
        return found

    def _ask(self, key: str, by: str | None, grain: str | None, start: date, end: date) -> metrics.Series:
        ov = self.overview
        if ov is not None and (start, end, grain) == (ov.start, ov.end, ov.grain):
            if by is None:
                fig = ov.figures.get(key)
                if fig is not None and fig.available and fig.series is not None:
                    return fig.series
            elif ov.cuts.get((key, by)) is not None:
                return ov.cuts[(key, by)]
        return compute(key, start, end, grain=grain, by=by, filters=self.filters)

    def total(self, key: str, *, previous: bool = False) -> float | None:
        """The figure over the whole period (or the previous period of the same length)."""
        if previous:
            prev = self.period.previous()
            series = self.series(key, grain=None, start=prev.start, end=prev.end)
        else:
            series = self.series(key)
        return whole(series.metric, series.points)


def whole(metric: metrics.Metric, points: list[metrics.Point]) -> float | None:
    """The value over all the points' buckets: Σnum / Σden, a stock's last bucket, a count's sum."""
    if metric.aggregate == "stock" and points:
        last = max((p.bucket or date.min) for p in points)
        points = [p for p in points if (p.bucket or date.min) == last]
    if not points:
        return 0.0 if metric.aggregate in ("count", "stock") else None
    return metric.value(sum(p.num for p in points), sum(p.den for p in points))
