"""Daily rollups of the metric registry, kept up to date incrementally, and the store compute() reads.

For every registered metric and every cut (none, then each of its dimensions) `MetricDay` keeps the
rows the metric's own SQL gives per local day — the same `Row(day, group, num, den)` — so a year
is a few thousand small rows instead of a scan of every ticket. There is no second definition of
any figure here: rows come from `metric.rows(...)` and nothing else.

`refresh()` (the periodic task, every minute) keeps them current:

- a metric seen for the first time, or whose definition changed (`signature`), is built whole,
  from the first ticket's day (at most `KEFU_ANALYTICS_HISTORY_DAYS` back) to today;
- otherwise it recomputes only the affected days: today (and `recent_days` before it), the days
  since the last run, and for every ticket event newer than the watermark (its id, plus a margin on
  created_at for transactions that committed out of id order) the day of the event, the day its
  ticket was created and the days of that ticket's other events — a late reopen changes the
  solved day's first-contact resolution, a late reply the created day's first response. A stock
  (the backlog) is recomputed from the earliest affected day to today; when only today moved, at
  most every `STOCK_EVERY` (its level needs a pass over the whole history);
- a lease on the "*" row (compare-and-set on `lease_until`) keeps it to one node at a time: a
  second run while one is going returns at once. Each day's rows are replaced in one transaction,
  so a reader sees the old or the new day, never half of it; running it again changes nothing.

`store()` is installed with `core.metrics.set_store`: it answers from the rollups when they cover
the window and the cut, and returns None (raw SQL) otherwise — a window before the first built day
or after the last, a definition not rebuilt yet, or filters the rollups cannot answer (a filter
crossed with another dimension, several values of a filter on an uncut question).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone, translation

from kefu.core import clock, metrics
from kefu.tickets.models import Ticket, TicketEvent

from .models import MetricDay, RollupState

log = logging.getLogger(__name__)

LEASE_KEY = "*"
LEASE = timedelta(minutes=15)
# Events created this long before the last run are looked at again: ids are handed out when a
# transaction inserts, not when it commits, so a slow transaction can commit an id below the watermark.
LATE_COMMIT_MARGIN = timedelta(minutes=10)
# Affected days closer than this are recomputed with one query per cut rather than one per day.
MERGE_GAP_DAYS = 7
BATCH = 2000
# Today's row of a stock (the backlog) is recomputed at most this often when nothing older moved.
STOCK_EVERY = timedelta(minutes=5)


def history_days() -> int:
    return int(getattr(settings, "KEFU_ANALYTICS_HISTORY_DAYS", 800))


def today() -> date:
    return timezone.localtime(clock.now(), metrics.local_zone()).date()


def signature(metric: metrics.Metric) -> str:
    """What the stored rows depend on: a change of definition rebuilds the metric."""
    with translation.override("en"):
        text = repr(
            (metric.aggregate, metric.unit, tuple(metric.dimensions), str(metric.formula), metric.day_of)
        )
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def cuts(metric: metrics.Metric) -> list[str | None]:
    return [None, *metric.dimensions]


# -- writing ---------------------------------------------------------------------------------------


def _ranges(days: Iterable[date], gap: int = MERGE_GAP_DAYS) -> list[tuple[date, date]]:
    """Sorted days → (first, last) runs, merging runs less than `gap` days apart."""
    out: list[list[date]] = []
    for day in sorted(set(days)):
        if out and (day - out[-1][1]).days <= gap:
            out[-1][1] = day
        else:
            out.append([day, day])
    return [(a, b) for a, b in out]


def rebuild_days(metric: metrics.Metric, days: Iterable[date]) -> int:
    """Recompute `metric`'s rows for exactly these days (every cut); returns the rows written."""
    wanted = set(days)
    written = 0
    for first, last in _ranges(wanted):
        win = metrics.Window(first, last)
        fresh: dict[tuple[str, date, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for cut in cuts(metric):
            for row in metric.rows(win, cut):
                if row.day not in wanted:
                    continue
                acc = fresh[(cut or "", row.day, "" if row.group is None else str(row.group))]
                acc[0] += float(row.num or 0)
                acc[1] += float(row.den or 0)
        span = [d for d in wanted if first <= d <= last]
        objs = [
            MetricDay(metric=metric.key, dimension=dim, day=day, group=group[:200], num=num, den=den)
            for (dim, day, group), (num, den) in fresh.items()
        ]
        with transaction.atomic():
            stale = MetricDay.objects.filter(metric=metric.key, day__gte=first, day__lte=last)
            if len(span) != (last - first).days + 1:
                stale = stale.filter(day__in=span)
            stale.delete()
            MetricDay.objects.bulk_create(objs, batch_size=BATCH)
        written += len(objs)
    return written


def _first_day() -> date | None:
    first = Ticket.objects.aggregate(first=Min("created_at"))["first"]
    return timezone.localtime(first, metrics.local_zone()).date() if first else None


def _event_days(since_id: int, up_to_id: int, since_time) -> set[date]:
    """The days new events can change: theirs, their tickets' creation days and other event days."""
    new = TicketEvent.objects.filter(id__gt=since_id, id__lte=up_to_id)
    if since_time is not None:
        new = TicketEvent.objects.filter(id__lte=up_to_id).filter(
            Q(id__gt=since_id) | Q(created_at__gte=since_time)
        )
    tickets = new.values("ticket_id")
    days: set[date] = set()
    days.update(
        new.annotate(d=metrics.local_day("created_at")).values_list("d", flat=True).distinct().order_by()
    )
    days.update(
        TicketEvent.objects.filter(ticket_id__in=tickets)
        .annotate(d=metrics.local_day("created_at"))
        .values_list("d", flat=True)
        .distinct()
        .order_by()
    )
    days.update(
        Ticket.objects.filter(pk__in=tickets)
        .annotate(d=metrics.local_day("created_at"))
        .values_list("d", flat=True)
        .distinct()
        .order_by()
    )
    return {d for d in days if d is not None}


# -- the lease -------------------------------------------------------------------------------------


def _lease_row() -> None:
    if not RollupState.objects.filter(key=LEASE_KEY).exists():
        try:
            with transaction.atomic():
                RollupState.objects.create(key=LEASE_KEY)
        except IntegrityError:
            pass  # another node made it first


def claim_lease() -> str | None:
    """A token if this run may refresh, None when another run holds the lease."""
    _lease_row()
    token = uuid.uuid4().hex
    now = clock.now()
    claimed = (
        RollupState.objects.filter(key=LEASE_KEY)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_token=token, lease_until=now + LEASE)
    )
    return token if claimed else None


def _renew(token: str) -> bool:
    return bool(
        RollupState.objects.filter(key=LEASE_KEY, lease_token=token).update(lease_until=clock.now() + LEASE)
    )


def release_lease(token: str) -> None:
    RollupState.objects.filter(key=LEASE_KEY, lease_token=token).update(lease_until=None, lease_token="")


# -- refresh ---------------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    ran: bool
    built: list[str] = field(default_factory=list)  # metrics built whole
    updated: dict[str, int] = field(default_factory=dict)  # metric → days recomputed
    rows: int = 0

    def as_dict(self) -> dict:
        return {"ran": self.ran, "built": self.built, "updated": self.updated, "rows": self.rows}


def refresh(*, recent_days: int = 1, keys: Iterable[str] | None = None) -> RefreshResult:
    """Bring every metric's rollups up to date (see the module docstring). Safe on many nodes."""
    token = claim_lease()
    if token is None:
        return RefreshResult(ran=False)
    try:
        return _refresh(token, recent_days=max(1, recent_days), keys=set(keys) if keys else None)
    finally:
        release_lease(token)


def _refresh(token: str, *, recent_days: int, keys: set[str] | None) -> RefreshResult:
    result = RefreshResult(ran=True)
    now = clock.now()
    current = today()
    top = TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0
    event_days: dict[tuple[int, object], set[date]] = {}
    for metric in metrics.all_metrics():
        if keys is not None and metric.key not in keys:
            continue
        if not _renew(token):
            log.warning("analytics: lost the rollup lease, stopping")
            break
        state, _ = RollupState.objects.get_or_create(key=metric.key)
        sig = signature(metric)
        if state.signature != sig or state.built_from is None:
            floor = current - timedelta(days=history_days())
            # A flow has no rows before the first ticket; a stock has a row every day (zero then).
            start = floor if metric.aggregate == "stock" else max(_first_day() or current, floor)
            days = [start + timedelta(days=i) for i in range((current - start).days + 1)]
            MetricDay.objects.filter(metric=metric.key).delete()
            result.rows += rebuild_days(metric, days)
            result.built.append(metric.key)
            state.built_from = start
        else:
            since_time = state.updated_at - LATE_COMMIT_MARGIN if state.updated_at else None
            slot = (state.watermark, since_time)
            if slot not in event_days:
                event_days[slot] = _event_days(state.watermark, top, since_time)
            affected = set(event_days[slot])
            last = state.built_to or current
            recent_from = min(last, current - timedelta(days=recent_days - 1))
            affected.update(recent_from + timedelta(days=i) for i in range((current - recent_from).days + 1))
            if (
                metric.aggregate == "stock"
                and state.built_to == current
                and min(affected) >= current
                and state.updated_at
                and now - state.updated_at < STOCK_EVERY
            ):
                # Only today moved: a stock's today costs a pass over the whole history (its level
                # before the day), so it follows at most every STOCK_EVERY; the watermark stays put.
                result.updated[metric.key] = 0
                continue
            if metric.aggregate == "stock" and affected:
                low = max(min(affected), state.built_from)
                affected.update(low + timedelta(days=i) for i in range((current - low).days + 1))
            floor = current - timedelta(days=history_days())
            earliest = min(affected, default=current)
            if floor <= earliest < state.built_from:
                # A ticket dated before the first built day (an import): the rollups reach back to it.
                affected.update(
                    earliest + timedelta(days=i) for i in range((state.built_from - earliest).days)
                )
                state.built_from = earliest
            affected = {d for d in affected if state.built_from <= d <= current}
            result.rows += rebuild_days(metric, affected)
            result.updated[metric.key] = len(affected)
        RollupState.objects.filter(pk=state.pk).update(
            built_from=state.built_from, built_to=current, watermark=top, signature=sig, updated_at=now
        )
    return result


# -- reading ---------------------------------------------------------------------------------------


def _covered(state: RollupState | None, metric: metrics.Metric, win: metrics.Window) -> bool:
    if state is None or state.built_from is None or state.built_to is None:
        return False
    if state.signature != signature(metric):
        return False
    # Before the first built day there is nothing when the build began at the first ticket (the
    # history limit did not cut it): no ticket, no row.
    if win.start < state.built_from and state.built_from <= today() - timedelta(days=history_days()):
        return False
    if win.end <= state.built_to:
        return True
    # Days after today hold nothing yet for a flow; a stock's future days are the metric's business.
    return metric.aggregate != "stock" and state.built_to >= today()


def plan(metric: metrics.Metric, win: metrics.Window, by: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(dimension to read, groups to keep) if the rollups can answer (metric, window, by)."""
    filters = {k: v for k, v in win.filters.items()}
    if not filters:
        return (by or "", ())
    if len(filters) > 1:
        return None
    ((dim, values),) = filters.items()
    if by is not None and by != dim:
        return None  # a filter crossed with another cut: raw SQL
    if by is None and len(values) != 1:
        return None  # summing several groups is right only for dimensions a ticket has one value of
    return (dim, tuple(values))


def store_answers(metric: metrics.Metric, win: metrics.Window, by: str | None) -> bool:
    """Whether `store` would answer this question from the rollups (the API says where figures came from)."""
    return plan(metric, win, by) is not None and _covered(
        RollupState.objects.filter(key=metric.key).first(), metric, win
    )


def store(metric: metrics.Metric, win: metrics.Window, by: str | None) -> list[metrics.Row] | None:
    """core.metrics' store: rows from the rollups, or None to let the metric's SQL answer."""
    how = plan(metric, win, by)
    if how is None:
        return None
    state = RollupState.objects.filter(key=metric.key).first()
    if not _covered(state, metric, win):
        return None
    dim, groups = how
    found = MetricDay.objects.filter(metric=metric.key, dimension=dim, day__gte=win.start, day__lte=win.end)
    if groups:
        found = found.filter(group__in=groups)
    relabel = by is None and dim != ""
    return [
        metrics.Row(day, "" if relabel else group, num, den)
        for day, group, num, den in found.values_list("day", "group", "num", "den").order_by("day", "group")
    ]


def rollups_ready(keys: Iterable[str]) -> bool:
    """True when every one of these metrics has been built (benchmarks and tests wait on it)."""
    wanted = set(keys)
    built = set(
        RollupState.objects.filter(key__in=wanted, built_from__isnull=False).values_list("key", flat=True)
    )
    return built == wanted
