"""Repeat-dispatch rate (重复派单率) in the metric registry: the one definition of it.

    a ticket is *dispatched* on the day of its first assignment (an ASSIGNED event naming an
    agent); it was dispatched *repeatedly* when it has two or more such events in all.

`routing.selectors.repeat_dispatch_rate` (the routing page) and the registered metric both read
`dispatched()`, so the page and the dashboards cannot disagree.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import TICKET_DIMENSIONS, apply_filters, columns, daily, narrowed
from kefu.tickets.models import EventKind, Ticket, TicketEvent

REPEATED = Q(dispatches__gt=1)


def dispatched(since: datetime | None = None, until: datetime | None = None) -> QuerySet[Ticket]:
    """Tickets whose first assignment falls in [since, until), annotated with `first_dispatch`
    and `dispatches` (how many assignments they had in all)."""
    events = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.ASSIGNED)
        .exclude(new_value="")
        .order_by()
        .values("ticket")
    )
    qs = Ticket.objects.all()
    if since is not None or until is not None:
        # only tickets with an assignment in the period can have their first one in it
        window = TicketEvent.objects.filter(kind=EventKind.ASSIGNED).exclude(new_value="")
        if since is not None:
            window = window.filter(created_at__gte=since)
        if until is not None:
            window = window.filter(created_at__lt=until)
        qs = qs.filter(pk__in=window.values("ticket_id"))
    qs = qs.annotate(
        first_dispatch=Subquery(events.annotate(first=Min("created_at")).values("first")[:1]),
        dispatches=Subquery(events.annotate(n=Count("pk")).values("n")[:1]),
    ).filter(first_dispatch__isnull=False)
    if since is not None:
        qs = qs.filter(first_dispatch__gte=since)
    if until is not None:
        qs = qs.filter(first_dispatch__lt=until)
    return qs


def counts(since: datetime | None = None, until: datetime | None = None) -> tuple[int, int]:
    """(tickets dispatched, of which dispatched more than once)."""
    found = dispatched(since, until).aggregate(assigned=Count("pk"), repeated=Count("pk", filter=REPEATED))
    return found["assigned"], found["repeated"]


def _in(win: Window) -> tuple[QuerySet[Ticket], dict[str, str]]:
    paths = columns()
    return apply_filters(dispatched(win.since, win.until), win.filters, paths), paths


def rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _in(win)
    return daily(qs, "first_dispatch", by, paths, num=Count("pk", filter=REPEATED), den=Count("pk"))


def drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    """The tickets dispatched more than once behind the point (the numerator)."""
    return _in(narrowed(win, by, group))[0].filter(REPEATED)


def register_all() -> None:
    metrics.register(
        Metric(
            key="repeat_dispatch_rate",
            name=_("Repeat-dispatch rate"),
            description=_("Share of tickets that had to be assigned more than once."),
            unit="percent",
            direction="lower",
            aggregate="ratio",
            formula=_(
                "Tickets first assigned on the day that were assigned two or more times in all ÷ "
                "tickets first assigned on the day. Agent: the ticket's current assignee."
            ),
            rows=rows,
            drill=drill,
            dimensions=TICKET_DIMENSIONS,
            app="routing",
            target=8.0,
            day_of="event",
        )
    )
