"""The metric registry: every KPI defined once, read by key from any layer (DESIGN.md, flow step 5).

Each app defines the figures of its own data in its `metrics.py` (tickets: volume and response
times; feedback: CSAT and NPS; quality: QA score…) and registers them in `AppConfig.ready()`.
Whoever needs a figure — dashboards, reports, scorecards, work-plan goals — asks `compute(key, …)`
and never imports the app that defines it, nor computes it a second time.

A metric answers one question in SQL: for a window of local calendar days, one row per
(day, group) with a numerator and a denominator (`Row`). Every figure kefu shows is a sum over
days of those two numbers, which is what lets `analytics` keep daily rollups and serve a year
from them: counts add up, a rate is Σnum / Σden, a mean is Σtotal / Σcount. A stock (the backlog)
is the value on the last day of a bucket. Medians and percentiles do not add up, so no metric here
is one.

`analytics` may install a store (`set_store`) that serves rows from its rollups; without one,
rows come straight from the metric's own SQL.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db.models.functions import TruncDate

Aggregate = Literal["count", "ratio", "mean", "stock"]
Direction = Literal["higher", "lower"]
Grain = Literal["day", "week", "month", "quarter"]
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter")
# The dimensions a metric may be cut by or filtered on (each metric declares the ones it supports).
DIMENSIONS: tuple[str, ...] = (
    "channel",
    "team",
    "agent",
    "tier",
    "category",
    "type",
    "priority",
    "department",
    "age",  # how long an open ticket has waited (the backlog's aging buckets)
    "target",  # which SLA target (first_response, resolution…): sla_compliance
)
UNITS: tuple[str, ...] = ("count", "percent", "seconds", "minutes", "hours", "score", "currency", "ratio")
MAX_DAYS = 366 * 5  # a question about more than five years is a typo, not a report


class MetricError(ValueError):
    """A question the registry cannot answer; `code` and `field` feed the API's 400."""

    def __init__(self, message: str, *, code: str, field: str = "", allowed: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.allowed = list(allowed)


@dataclass(frozen=True)
class Window:
    """Local calendar days `start`..`end`, both included, plus filters {dimension: allowed values}."""

    start: date
    end: date
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=local_zone())

    @property
    def until(self) -> datetime:
        """The first instant after the window (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=local_zone())

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Row:
    day: date
    group: str  # the dimension's value ("" when the question is not cut by one)
    num: float
    den: float = 0.0


# rows(window, by) -> one Row per (day, group); `by` is one of the metric's dimensions or None.
RowsFn = Callable[[Window, str | None], Iterable[Row]]
# drill(window, by, group) -> a queryset of the tickets behind a point (the ordinary ticket list).
DrillFn = Callable[[Window, str | None, str | None], Any]


@dataclass(frozen=True)
class Metric:
    key: str
    name: Any  # lazy translation
    description: Any
    unit: str
    direction: Direction
    aggregate: Aggregate
    formula: Any  # the exact formula in words; the code is `rows`
    rows: RowsFn
    dimensions: tuple[str, ...] = ()
    drill: DrillFn | None = None
    app: str = ""
    target: float | None = None  # the plans' default target, if they name one
    # Which rows a change of one ticket can alter: "created" (the ticket's creation day), "event"
    # (the day an event happened) … analytics uses it to recompute only the affected days.
    day_of: str = "event"

    def value(self, num: float, den: float) -> float | None:
        if self.aggregate in ("count", "stock"):
            return num
        if not den:
            return None
        scale = 100.0 if self.unit == "percent" else 1.0
        return scale * num / den


@dataclass(frozen=True)
class Point:
    bucket: date | None  # first day of the bucket; None for the whole window
    group: str
    value: float | None
    num: float
    den: float


@dataclass(frozen=True)
class Series:
    metric: Metric
    window: Window
    grain: str | None
    by: str | None
    points: list[Point]


# store(metric, window, by) -> rows, or None to fall back to the metric's own SQL.
StoreFn = Callable[[Metric, Window, str | None], Iterable[Row] | None]
_metrics: dict[str, Metric] = {}
_store: StoreFn | None = None


def register(metric: Metric) -> None:
    unknown = set(metric.dimensions) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"metric {metric.key}: unknown dimensions {sorted(unknown)}")
    if metric.unit not in UNITS:
        raise ValueError(f"metric {metric.key}: unknown unit {metric.unit}")
    _metrics[metric.key] = metric


def get(key: str) -> Metric:
    try:
        return _metrics[key]
    except KeyError:
        raise MetricError(
            f"Unknown metric {key!r}.", code="unknown_metric", field="key", allowed=sorted(_metrics)
        ) from None


def all_metrics() -> list[Metric]:
    return [_metrics[k] for k in sorted(_metrics)]


def set_store(store: StoreFn | None) -> None:
    global _store
    _store = store


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def window(
    start: date,
    end: date,
    *,
    filters: Mapping[str, Iterable[str]] | None = None,
    metric: Metric | None = None,
) -> Window:
    """A checked window: start ≤ end, at most five years, filters only on known dimensions."""
    if start > end:
        raise MetricError("The start of the period is after its end.", code="bad_period", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise MetricError("A period may span at most five years.", code="bad_period", field="to")
    clean: dict[str, tuple[str, ...]] = {}
    for dim, values in (filters or {}).items():
        allowed = metric.dimensions if metric else DIMENSIONS
        if dim not in allowed:
            raise MetricError(
                f"Cannot filter on {dim!r}.", code="unknown_dimension", field=dim, allowed=allowed
            )
        clean[dim] = tuple(str(v) for v in values)
    return Window(start, end, clean)


def bucket_of(day: date, grain: str | None) -> date | None:
    if grain is None:
        return None
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    raise MetricError(f"Unknown period {grain!r}.", code="unknown_grain", field="grain", allowed=GRAINS)


def rows(metric: Metric, win: Window, by: str | None) -> Iterable[Row]:
    if _store is not None:
        stored = _store(metric, win, by)
        if stored is not None:
            return stored
    return metric.rows(win, by)


def combine(metric: Metric, found: Iterable[Row], grain: str | None) -> list[Point]:
    """Adds daily rows up into buckets (a stock takes its last day in the bucket)."""
    sums: dict[tuple[date | None, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    last: dict[tuple[date | None, str], date] = {}
    for row in found:
        slot = (bucket_of(row.day, grain), row.group)
        if metric.aggregate == "stock":
            if slot not in last or row.day >= last[slot]:
                last[slot] = row.day
                sums[slot] = [row.num, row.den]
            continue
        acc = sums[slot]
        acc[0] += row.num
        acc[1] += row.den
    return [
        Point(bucket, group, metric.value(num, den), num, den)
        for (bucket, group), (num, den) in sorted(
            sums.items(), key=lambda kv: (kv[0][0] or date.min, kv[0][1])
        )
    ]


def compute(
    key: str,
    *,
    start: date,
    end: date,
    grain: str | None = None,
    by: str | None = None,
    filters: Mapping[str, Iterable[str]] | None = None,
) -> Series:
    """The figure `key` over local days start..end, per bucket of `grain` and group of `by`."""
    metric = get(key)
    if by is not None and by not in metric.dimensions:
        raise MetricError(
            f"{key} cannot be cut by {by!r}.", code="unknown_dimension", field="by", allowed=metric.dimensions
        )
    if grain is not None:
        bucket_of(start, grain)  # validates
    win = window(start, end, filters=filters, metric=metric)
    return Series(metric, win, grain, by, combine(metric, rows(metric, win, by), grain))


def total(
    key: str, *, start: date, end: date, filters: Mapping[str, Iterable[str]] | None = None
) -> float | None:
    """One number: the figure over the whole window (what a work-plan goal reads)."""
    series = compute(key, start=start, end=end, filters=filters)
    if series.points:
        return series.points[0].value
    return 0.0 if series.metric.aggregate in ("count", "stock") else None


def local_day(field_name: str) -> Any:
    """SQL for the local calendar day of a datetime column (Asia/Shanghai by default).

    PostgreSQL does it natively (AT TIME ZONE). On SQLite Django's TruncDate calls a Python
    function per row (about 25 µs: 2.5 s for 100k tickets), so for a zone whose offset has not
    changed since 1992 (China: UTC+8, no summer time) SQLite's own date(col, '+N seconds') is
    used instead: the same day, about 12 times faster."""
    return LocalDay(field_name, tzinfo=local_zone())


@functools.lru_cache(maxsize=16)
def fixed_offset(zone: zoneinfo.ZoneInfo) -> int | None:
    """The zone's UTC offset in seconds if it is the same from 1992 to 2037, else None."""
    offsets = {
        datetime(year, month, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset()
        for year in range(1992, 2038)
        for month in (1, 4, 7, 10)
    }
    offset = offsets.pop() if len(offsets) == 1 else None
    return int(offset.total_seconds()) if offset is not None else None


class LocalDay(TruncDate):
    """TruncDate in a time zone, with SQLite's native date arithmetic for fixed-offset zones."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        zone = self.tzinfo
        offset = fixed_offset(zone) if isinstance(zone, zoneinfo.ZoneInfo) and settings.USE_TZ else None
        if offset is None:
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '{offset:+d} seconds')", params
