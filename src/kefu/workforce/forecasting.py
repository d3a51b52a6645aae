"""The contact forecast: expected contacts per channel and half-hour, from the ticket history.

The model (hand-written, it is the domain):

- Every day is of one kind: an ordinary weekday (Monday … Sunday), a statutory **holiday**, a
  **make-up workday** (调休, a Saturday or Sunday the State Council turns into a workday), and on top
  of any of them a **promotion** (618, 双11 …: a `PromotionDay` with an uplift factor).
- An ordinary day's total per channel is the recency-weighted mean of the same weekday's totals in
  the last `weeks` weeks (special days left out), and its half-hour shape is the same weekday's
  pooled shape over those weeks: weekday × half-hour seasonality with a recent level.
- A holiday, whatever its weekday, is the mean workday times the holiday ratio seen on past
  holidays in the history (actual ÷ the mean workday; `holiday_factor` when the history has none),
  with the holidays' own pooled shape (else the weekend's). A make-up workday is the
  mean workday times the make-up ratio seen before, with the workday shape.
- A promotion multiplies the day by its uplift.

`Forecaster` is pure (counts in, numbers out) so the benchmark and the tests drive it directly;
`run_nightly()` reads the history from the tickets and stores one run per night (B5: the night is
a unique key; of several workers only the one that inserts the row computes).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from kefu.core import businesstime as bt
from kefu.core.clock import now

from . import config
from .models import ForecastInterval, ForecastRun, PromotionDay, RunState

log = logging.getLogger("kefu.workforce")
SLOTS = 48  # half-hours in a day
Counts = Mapping[date, Mapping[str, list[float]]]  # day → channel → 48 half-hour counts


@dataclass(frozen=True)
class Promotion:
    name: str
    on: date
    uplift: float
    recurring: bool = True

    def matches(self, day: date) -> bool:
        if self.recurring:
            return (day.month, day.day) == (self.on.month, self.on.day)
        return day == self.on


def promotions() -> list[Promotion]:
    return [Promotion(p.name, p.on, p.uplift, p.recurring) for p in PromotionDay.objects.all()]


def day_kind(day: date, promos: Iterable[Promotion] = ()) -> tuple[str, float, str]:
    """(kind, uplift, label): kind is "holiday", "makeup" or "weekday"; uplift 1.0 unless a promotion."""
    uplift, label = 1.0, ""
    for promo in promos:
        if promo.matches(day):
            uplift, label = uplift * promo.uplift, promo.name
    special = bt.statutory_day(day)
    kind = special[0] if special else "weekday"
    return kind, uplift, label or (special[1] if special else "")


def _shape(rows: list[list[float]]) -> list[float]:
    sums = [0.0] * SLOTS
    for row in rows:
        for i, v in enumerate(row):
            sums[i] += v
    total = sum(sums)
    return [v / total for v in sums] if total else [1.0 / SLOTS] * SLOTS


@dataclass
class Forecaster:
    """Fitted on the history that ends the day before the first forecast day."""

    counts: Counts
    promos: list[Promotion] = field(default_factory=list)
    weeks: int = 8
    decay: float = 0.8
    holiday_factor: float = 0.6

    def __post_init__(self) -> None:
        self.kinds = {d: day_kind(d, self.promos) for d in self.counts}
        self.last_day = max(self.counts) if self.counts else None
        self.channels = sorted({c for per in self.counts.values() for c in per})
        self._ordinary_cache: dict[tuple[int, str], tuple[float, list[float]]] = {}
        self._ratios: dict[tuple[str, str], tuple[float, list[float]] | None] = {}

    def _ordinary_days(self, weekday: int) -> list[date]:
        if self.last_day is None:
            return []
        first = self.last_day - timedelta(weeks=self.weeks)
        return sorted(
            (
                d
                for d, (kind, uplift, _l) in self.kinds.items()
                if d > first and d.weekday() == weekday and kind == "weekday" and uplift == 1.0
            ),
            reverse=True,
        )

    def ordinary(self, weekday: int, channel: str) -> tuple[float, list[float]]:
        """(day total, half-hour shape) of an ordinary day of `weekday`."""
        key = (weekday, channel)
        if key not in self._ordinary_cache:
            days = self._ordinary_days(weekday)
            rows = [list(self.counts[d].get(channel, [0.0] * SLOTS)) for d in days]
            if rows:
                weights = [self.decay**k for k in range(len(rows))]
                total = sum(w * sum(r) for w, r in zip(weights, rows, strict=True)) / sum(weights)
            else:
                total = 0.0
            self._ordinary_cache[key] = (total, _shape(rows))
        return self._ordinary_cache[key]

    def _workday_mean(self, channel: str) -> tuple[float, list[float]]:
        parts = [self.ordinary(w, channel) for w in range(5)]
        total = sum(p[0] for p in parts) / 5
        shape = [sum(p[1][i] for p in parts) / 5 for i in range(SLOTS)]
        return total, shape

    def _special(self, kind: str, channel: str) -> tuple[float, list[float]] | None:
        """(ratio to the ordinary expectation, pooled shape) from past days of `kind`, if any."""
        key = (kind, channel)
        if key not in self._ratios:
            ratios, rows = [], []
            for d, (k, uplift, _label) in self.kinds.items():
                if k != kind or uplift != 1.0:
                    continue
                row = list(self.counts[d].get(channel, [0.0] * SLOTS))
                base = self._workday_mean(channel)[0]
                if base > 0:
                    ratios.append(sum(row) / base)
                    rows.append(row)
            self._ratios[key] = (statistics.median(ratios), _shape(rows)) if ratios else None
        return self._ratios[key]

    def day(self, day: date, channel: str) -> tuple[list[float], str]:
        """48 expected counts for `channel` on `day`, and the kind of day."""
        kind, uplift, _label = day_kind(day, self.promos)
        total, shape = self.ordinary(day.weekday(), channel)
        if kind == "holiday":
            seen = self._special("holiday", channel)
            workday = self._workday_mean(channel)[0]
            if seen is not None:
                total, shape = workday * seen[0], seen[1]
            else:
                weekend = [self.ordinary(w, channel) for w in (5, 6)]
                total = workday * self.holiday_factor
                shape = [sum(p[1][i] for p in weekend) / 2 for i in range(SLOTS)]
        elif kind == "makeup":
            total, shape = self._workday_mean(channel)
            seen = self._special("makeup", channel)
            if seen is not None:
                total = total * seen[0]
        shown = (
            "promotion"
            if uplift != 1.0
            else kind
            if kind != "weekday"
            else ("weekend" if day.weekday() >= 5 else "workday")
        )
        return [total * uplift * s for s in shape], shown


# --------------------------------------------------------------------------- history from tickets


def history(first: date, last: date, zone: ZoneInfo | None = None) -> dict[date, dict[str, list[float]]]:
    """Tickets created per local day, channel and half-hour between `first` and `last` (inclusive).
    Every day of the span is present (a day without tickets counts zero)."""
    from kefu.tickets.models import Ticket

    zone = zone or timezone.get_current_timezone()
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    out: dict[date, dict[str, list[float]]] = {}
    d = first
    while d <= last:
        out[d] = {}
        d += timedelta(days=1)
    rows = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", "channel"
    )
    for created, channel in rows.iterator(chunk_size=5000):
        local = created.astimezone(zone)
        per = out.setdefault(local.date(), {})
        slots = per.get(channel)
        if slots is None:
            slots = per[channel] = [0.0] * SLOTS
        slots[local.hour * 2 + local.minute // 30] += 1
    # days before the first ticket were before kefu was in use: not days with no contacts
    first_seen = min((d for d, per in out.items() if per), default=None)
    return {d: per for d, per in out.items() if first_seen is not None and d >= first_seen}


def forecast_days(
    fc: Forecaster, first: date, days: int, channels: Iterable[str], zone: ZoneInfo
) -> list[tuple[str, datetime, float, str]]:
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        for channel in channels:
            values, kind = fc.day(day, channel)
            for slot, value in enumerate(values):
                starts = (midnight + timedelta(minutes=30 * slot)).astimezone(zone)
                out.append((channel, starts, value, kind))
    return out


# --------------------------------------------------------------------------- the nightly run


def run_nightly(*, force: bool = False) -> ForecastRun | None:
    """Forecast the next days and store them. Once per night on any number of workers (B5): the
    run row keyed by the night is inserted first; a worker that finds it taken does nothing.
    `force` recomputes tonight's run (the supervisor's "forecast again")."""
    cfg = config.get()
    zone = timezone.get_current_timezone()
    night = timezone.localdate(now())
    try:
        with transaction.atomic():
            run = ForecastRun.objects.create(
                night=night, first_day=night, days=cfg["days"], weeks=cfg["weeks"], started_at=now()
            )
    except IntegrityError:
        if not force:
            return None
        run = ForecastRun.objects.get(night=night)
        claimed = (
            ForecastRun.objects.filter(pk=run.pk)
            .exclude(state=RunState.RUNNING)
            .update(state=RunState.RUNNING, started_at=now(), finished_at=None, error="")
        )
        if not claimed:
            return None  # another worker is computing it right now
    try:
        lookback = max(cfg["weeks"] * 7, cfg["history_days"])
        counts = history(night - timedelta(days=lookback), night - timedelta(days=1), zone)
        fc = Forecaster(counts, promotions(), weeks=cfg["weeks"], holiday_factor=cfg["holiday_factor"])
        channels = sorted(set(fc.channels) | set(cfg["channels"]))
        rows = forecast_days(fc, night, cfg["days"], channels, zone)
        with transaction.atomic():
            ForecastInterval.objects.filter(run=run).delete()
            ForecastInterval.objects.bulk_create(
                [
                    ForecastInterval(run=run, channel=c, starts_at=s, expected=round(v, 3), day_kind=k)
                    for c, s, v, k in rows
                ],
                batch_size=2000,
            )
            ForecastRun.objects.filter(pk=run.pk).update(
                state=RunState.DONE,
                finished_at=now(),
                history=int(sum(sum(v) for per in counts.values() for v in per.values())),
            )
    except Exception as err:
        log.exception("the nightly forecast failed")
        ForecastRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, finished_at=now(), error=str(err)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def naive(counts: Counts, day: date, channel: str) -> list[float]:
    """The same weekday last week (the benchmark's baseline)."""
    return list(counts.get(day - timedelta(days=7), {}).get(channel, [0.0] * SLOTS))
