"""Volume: tickets created, tickets solved, and the backlog (a stock) with its age.

Facts used, all written once and never changed afterwards, so a past day's figure stays put:
- a ticket's `created_at`;
- the status events of the log: a *solve* is a change from an open status (new, open, pending,
  on hold) to solved or closed; a *reopen* is a change from solved or closed back to an open one;
- a merge: the duplicate is closed by the merge itself (no status event). It was open at that
  moment exactly when its `solved_at` is empty (solving sets it, reopening clears it), and
  its `closed_at` is the merge's instant.

Merged duplicates count as created (they arrived and sat in the queue) and leave the backlog
when merged; a merge is not a solve. kefu has no deleted or spam state for tickets: a ticket
closed as spam is a close like any other (counted as solved).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Row, Window
from kefu.tickets.models import EventKind, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES, OPEN_STATUSES

from .common import (
    TICKET_DIMENSIONS,
    apply_filters,
    columns,
    daily,
    during,
    group_of,
    narrowed,
)

DONE = sorted(DONE_STATUSES)
OPEN = sorted(OPEN_STATUSES)

# Age of an open ticket at the end of a day: whole local days since the day it was created.
AGE_BUCKETS: tuple[tuple[str, int, int | None, Any], ...] = (
    ("0d", 0, 0, _("Created today")),
    ("1-2d", 1, 2, _("1–2 days")),
    ("3-6d", 3, 6, _("3–6 days")),
    ("7-29d", 7, 29, _("7–29 days")),
    ("30d+", 30, None, _("30 days or more")),
)
AGED_FROM_DAYS = 3  # the aged backlog: open tickets created three or more days before
BACKLOG_DIMENSIONS = (*TICKET_DIMENSIONS, "age")


def age_bucket(days: int) -> str:
    for key, low, high, _label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return AGE_BUCKETS[0][0]


def _bucket_range(key: str) -> tuple[int, int | None]:
    for name, low, high, _label in AGE_BUCKETS:
        if name == key:
            return low, high
    return -1, -1  # an unknown bucket matches nothing


# --------------------------------------------------------------------------- created


def solve_events() -> QuerySet[TicketEvent]:
    """Status changes from an open status to solved or closed."""
    return TicketEvent.objects.filter(
        kind=EventKind.CHANGED, field="status", old_value__in=OPEN, new_value__in=DONE
    )


def reopen_events() -> QuerySet[TicketEvent]:
    """Status changes from solved or closed back to an open status."""
    return TicketEvent.objects.filter(
        kind=EventKind.CHANGED, field="status", old_value__in=DONE, new_value__in=OPEN
    )


def created_rows(win: Window, by: str | None) -> list[Row]:
    paths = columns()
    qs = apply_filters(during(Ticket.objects.all(), "created_at", win), win.filters, paths)
    return daily(qs, "created_at", by, paths, num=Count("pk"))


def created_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    point = narrowed(win, by, group)
    return apply_filters(during(Ticket.objects.all(), "created_at", point), point.filters, columns())


# --------------------------------------------------------------------------- solved


def solved_rows(win: Window, by: str | None) -> list[Row]:
    paths = columns("ticket__")
    qs = apply_filters(during(solve_events(), "created_at", win), win.filters, paths)
    return daily(qs, "created_at", by, paths, num=Count("ticket", distinct=True))


def solved_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    point = narrowed(win, by, group)
    ids = apply_filters(during(solve_events(), "created_at", point), point.filters, columns("ticket__"))
    return Ticket.objects.filter(pk__in=ids.values("ticket_id"))


# --------------------------------------------------------------------------- backlog (a stock)

# Each flow: rows, the instant it happens, +1 or -1, the path from the row to its ticket.
Flow = tuple[Callable[[], QuerySet[Any]], str, int, str]
FLOWS: tuple[Flow, ...] = (
    (lambda: Ticket.objects.all(), "created_at", +1, ""),
    (solve_events, "created_at", -1, "ticket__"),
    (reopen_events, "created_at", +1, "ticket__"),
    (
        lambda: Ticket.objects.filter(
            merged_into__isnull=False, solved_at__isnull=True, closed_at__isnull=False
        ),
        "closed_at",
        -1,
        "",
    ),
)


def _flows(
    win: Window, by: str | None, *, with_age: bool
) -> dict[tuple[date | None, date | None, str], float]:
    """Net flows into the backlog: (day or None for "before the window", creation day when
    `with_age`, group) → count. A handful of GROUP BY queries, whatever the number of tickets."""
    out: dict[tuple[date | None, date | None, str], float] = defaultdict(float)
    for rows, field, sign, prefix in FLOWS:
        paths = columns(prefix)
        qs = apply_filters(rows().filter(**{f"{field}__lt": win.until}), win.filters, paths)
        keys = [paths[by]] if by and by != "age" else []
        if with_age:
            qs = qs.annotate(cday=metrics.local_day(f"{prefix}created_at"))
            keys.append("cday")
        before = qs.filter(**{f"{field}__lt": win.since}).values(*keys).annotate(n=Count("pk")).order_by()
        inside = (
            qs.filter(**{f"{field}__gte": win.since})
            .annotate(fday=metrics.local_day(field))
            .values("fday", *keys)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for found, dated in ((before, False), (inside, True)):
            for r in found:
                group = group_of(r[paths[by]]) if by and by != "age" else ""
                out[(r["fday"] if dated else None, r.get("cday"), group)] += sign * r["n"]
    return out


def _age_allowed(win: Window) -> Callable[[str], bool]:
    wanted = win.filters.get("age")
    return (lambda key: key in wanted) if wanted else (lambda key: True)


def _stock(win: Window, by: str | None, *, aged: bool) -> list[Row]:
    """Open tickets at the end of each day: the level before the window plus each day's flows."""
    with_age = aged or by == "age" or "age" in win.filters
    flows = _flows(win, by, with_age=with_age)
    by_day: dict[date, list[tuple[date | None, str, float]]] = defaultdict(list)
    level: dict[tuple[date | None, str], float] = defaultdict(float)
    for (fday, cday, group), n in flows.items():
        if fday is None:
            level[(cday, group)] += n
        else:
            by_day[fday].append((cday, group, n))
    allowed = _age_allowed(win)
    if by == "age":
        groups: Iterable[str] = [
            key
            for key, *_ in AGE_BUCKETS
            if allowed(key) and (not aged or _bucket_range(key)[0] >= AGED_FROM_DAYS)
        ]
    elif by:
        groups = sorted(
            {group for (_c, group) in level} | {g for day in by_day.values() for (_c, g, _n) in day}
        )
    else:
        groups = [""]
    out: list[Row] = []
    for day in win.days():
        for cday, group, n in by_day.get(day, ()):
            level[(cday, group)] += n
        totals: dict[str, float] = dict.fromkeys(groups, 0.0)
        for (cday, group), n in level.items():
            if not n:
                continue
            if with_age:
                age = (day - cday).days if cday else 0
                key = age_bucket(age)
                if (aged and age < AGED_FROM_DAYS) or not allowed(key):
                    continue
                if by == "age":
                    group = key
            if group in totals:
                totals[group] += n
        out.extend(Row(day, group, total) for group, total in totals.items())
    return out


def backlog_rows(win: Window, by: str | None) -> list[Row]:
    return _stock(win, by, aged=False)


def backlog_aged_rows(win: Window, by: str | None) -> list[Row]:
    return _stock(win, by, aged=True)


def open_at_end(win: Window, by: str | None, group: str | None, *, aged: bool = False) -> QuerySet[Ticket]:
    """The tickets open at the end of the window's last day (the drill of a backlog point): created
    before then, not merged before then, and their last status change before then (if any) left
    them in an open status."""
    point = narrowed(win, by, group)
    end = point.until
    last_status = (
        TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind=EventKind.CHANGED, field="status", created_at__lt=end
        )
        .order_by("-created_at", "-id")
        .values("new_value")[:1]
    )
    qs = (
        Ticket.objects.filter(created_at__lt=end)
        .exclude(merged_into__isnull=False, closed_at__lt=end)
        .annotate(status_then=Subquery(last_status))
        .filter(Q(status_then__isnull=True) | Q(status_then__in=OPEN))
    )
    qs = apply_filters(qs, point.filters, columns())
    wanted = list(point.filters.get("age", ()))
    if aged:
        wanted = wanted or [key for key, low, *_ in AGE_BUCKETS if low >= AGED_FROM_DAYS]
    if wanted:
        condition = Q()
        for key in wanted:
            low, high = _bucket_range(key)
            if low < 0 or (aged and low < AGED_FROM_DAYS):
                continue
            # created on a local day from (last day - high) to (last day - low)
            span = Q(created_at__lt=_day_start(point.end - timedelta(days=low - 1)))
            if high is not None:
                span &= Q(created_at__gte=_day_start(point.end - timedelta(days=high)))
            condition |= span
        qs = qs.filter(condition) if condition else qs.none()
    return qs


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=metrics.local_zone())


def backlog_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    return open_at_end(win, by, group)


def backlog_aged_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    return open_at_end(win, by, group, aged=True)
