"""Agents' work: handling time, first-contact resolution, reopen rate, tickets per agent per day.

Handling time from the event log. kefu records what agents *do* on a ticket (replies, notes,
status and field changes, assignments), not when they open it, so a piece of work is measured
backwards from what it produced:

    handling time of a reply or internal note written by a person
        = min(its instant − the instant of the ticket's previous event (by anyone), 10 minutes)

The agent cannot have started on that answer before the last thing that happened on the ticket
(the customer's message, a colleague's note, their own previous step); a longer gap is time the
ticket waited in the queue, of which at most HANDLING_CAP is taken as reading and writing. A
ticket's handling time on a day is the sum over its replies and notes that day; the metric is
Σ handling ÷ number of tickets worked on (replied to or noted) that day. Talk time of calls will
be added by the voice app when calls exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least

from kefu.accounts.models import SYSTEM_USERNAME
from kefu.core.metrics import Row, Window
from kefu.tickets.models import EventKind, Ticket, TicketEvent

from .common import SecondsBetween, apply_filters, columns, daily, during, group_of, narrowed
from .responses import as_minutes, person_replies
from .volume import reopen_events, solve_events

HANDLING_CAP = timedelta(minutes=10)
CAP = HANDLING_CAP.total_seconds()
REOPEN_DAYS = 7  # a solve followed by a reopening within this many days was not a real solve


# --------------------------------------------------------------------------- handling time


def _work(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    previous = (
        TicketEvent.objects.filter(ticket=OuterRef("ticket"), created_at__lt=OuterRef("created_at"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    qs = (
        during(TicketEvent.objects.filter(kind__in=[EventKind.REPLIED, EventKind.NOTED]), "created_at", win)
        .filter(actor__isnull=False)
        .exclude(actor__username=SYSTEM_USERNAME)
        .annotate(previous_at=Subquery(previous))
        .annotate(
            spent=Coalesce(Least(SecondsBetween(F("created_at"), F("previous_at")), Value(CAP)), Value(CAP))
        )
    )
    paths = columns("ticket__", agent="actor_id")
    return apply_filters(qs, win.filters, paths), paths


def handling_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _work(win)
    return daily(
        qs, "created_at", by, paths, num=Sum("spent"), den=Count("ticket", distinct=True), num_as=as_minutes
    )


def handling_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _work(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


# --------------------------------------------------------------------------- first-contact resolution


def _count(qs: QuerySet[TicketEvent]) -> Subquery:
    """COUNT of `qs` (correlated on OuterRef) as a subquery."""
    return Coalesce(
        Subquery(qs.order_by().values("ticket").annotate(n=Count("pk")).values("n")[:1]), Value(0)
    )


def _reopened_within() -> Exists:
    return Exists(
        reopen_events().filter(
            ticket=OuterRef("ticket"),
            created_at__gt=OuterRef("created_at"),
            created_at__lte=OuterRef("created_at") + timedelta(days=REOPEN_DAYS),
        )
    )


def _first_solves(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    earlier = solve_events().filter(ticket=OuterRef("ticket"), created_at__lt=OuterRef("created_at"))
    replies = person_replies().filter(ticket=OuterRef("ticket"), created_at__lte=OuterRef("created_at"))
    assignments = TicketEvent.objects.filter(
        ticket=OuterRef("ticket"), kind=EventKind.ASSIGNED, created_at__lte=OuterRef("created_at")
    ).exclude(new_value="")
    qs = (
        during(solve_events(), "created_at", win)
        .exclude(Exists(earlier))
        .annotate(
            replies=_count(replies),
            assignments=_count(assignments),
            reopened=_reopened_within(),
        )
    )
    paths = columns("ticket__")
    return apply_filters(qs, win.filters, paths), paths


FCR = Q(replies=1, assignments__lte=1, reopened=False)


def fcr_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _first_solves(win)
    return daily(qs, "created_at", by, paths, num=Count("pk", filter=FCR), den=Count("pk"))


def fcr_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    """The tickets resolved at first contact behind a point (the numerator)."""
    qs, _paths = _first_solves(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.filter(FCR).values("ticket_id"))


# --------------------------------------------------------------------------- reopen rate


def _solves_reopened(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    qs = during(solve_events(), "created_at", win).annotate(reopened=_reopened_within())
    paths = columns("ticket__")
    return apply_filters(qs, win.filters, paths), paths


def reopen_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _solves_reopened(win)
    return daily(qs, "created_at", by, paths, num=Count("pk", filter=Q(reopened=True)), den=Count("pk"))


def reopen_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    """The tickets solved in the period and reopened within 7 days (the numerator)."""
    qs, _paths = _solves_reopened(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.filter(reopened=True).values("ticket_id"))


# --------------------------------------------------------------------------- tickets per agent per day


def _replies(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    paths = columns("ticket__", agent="actor_id")
    return apply_filters(during(person_replies(), "created_at", win), win.filters, paths), paths


def per_agent_rows(win: Window, by: str | None) -> list[Row]:
    """num = Σ over agents of the distinct tickets each replied to that day; den = agents who
    replied that day. The database counts per (day, agent[, group]); the rows add those up."""
    qs, paths = _replies(win)
    keys = ["actor_id"] + ([paths[by]] if by and by != "agent" else [])
    found = daily_per_agent(qs, keys)
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day, actor, group, n in found:
        key = (day, str(actor) if by == "agent" else (group if by else ""))
        sums[key][0] += n
        sums[key][1] += 1
    return [Row(day, group, num, den) for (day, group), (num, den) in sums.items()]


def daily_per_agent(qs: QuerySet[TicketEvent], keys: list[str]) -> list[tuple]:
    from kefu.core import metrics

    rows = (
        qs.annotate(kday=metrics.local_day("created_at"))
        .values("kday", *keys)
        .annotate(n=Count("ticket", distinct=True))
        .order_by()
    )
    return [(r["kday"], r["actor_id"], group_of(r[keys[1]]) if len(keys) > 1 else "", r["n"]) for r in rows]


def per_agent_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _replies(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))
