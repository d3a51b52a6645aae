"""First response in business minutes, stored on the ticket when it becomes known.

Why stored and not computed when a chart is drawn: business time is calendar arithmetic
(working hours, lunch breaks, statutory holidays, 调休 make-up Saturdays — `core.businesstime`)
that no SQL dialect we support can do in a GROUP BY. Doing it at read time means one Python
call per ticket, which is exactly the row-by-row report this registry exists to avoid (a year
is a million tickets). The figure of one ticket never changes once its first reply is given,
so it is computed once, at that moment, and the metric is a plain SUM / COUNT in SQL.

- Calendar: the calendar of the ticket's team as the sla app resolves it for routing
  (`core.businesstime.team_calendars`: the team's calendar, else the default calendar, else
  office hours) — the team the ticket has when its first reply is given.
- When: `on_event` (registered in TicketsConfig.ready) runs after the REPLIED event that
  set `first_response_at`. History written without reactions (the demo, `kefu seed`, an import)
  and tickets from before this column are filled by `fill_missing`, run by the migration that
  added the column and every few minutes by the tickets' periodic task.
- A calendar edited later does not rewrite the figures already stored (as an SLA timer that was
  met keeps its result).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from kefu.core import businesstime as bt
from kefu.tickets.models import EventKind, Ticket, TicketEvent

BATCH = 2000


def business_seconds(resolve: bt.TeamCalendars, team_id: int | None, start, end) -> int:  # type: ignore[no-untyped-def]
    calendar = resolve([team_id] if team_id else [])
    return int(bt.business_time_between(calendar, start, end).total_seconds())


def missing() -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        first_response_at__isnull=False, first_response_business_seconds__isnull=True
    )


def fill(ticket_ids: Iterable[int] | None = None, *, limit: int = BATCH) -> int:
    """Store the business minutes of up to `limit` tickets that have a first response and no figure
    yet (only `ticket_ids` when given); returns how many were written. Safe to run on many nodes
    at once: a row already filled is left alone (compare-and-set on the empty column)."""
    qs = missing()
    if ticket_ids is not None:
        qs = qs.filter(pk__in=list(ticket_ids))
    found = list(qs.order_by("pk").values_list("pk", "team_id", "created_at", "first_response_at")[:limit])
    if not found:
        return 0
    resolve = bt.team_calendars()
    written = 0
    for pk, team_id, created_at, first_response_at in found:
        value = business_seconds(resolve, team_id, created_at, first_response_at)
        written += Ticket.objects.filter(pk=pk, first_response_business_seconds__isnull=True).update(
            first_response_business_seconds=value
        )
    return written


def fill_missing(*, batches: int = 50) -> int:
    """Every ticket that lacks its figure, BATCH at a time (at most `batches` batches per call)."""
    total = 0
    for _ in range(batches):
        done = fill()
        total += done
        if done < BATCH:
            break
    return total


def on_event(event_id: int) -> None:
    """After a reply: the ticket's first response may just have happened."""
    row = (
        TicketEvent.objects.filter(pk=event_id, kind=EventKind.REPLIED)
        .values_list("ticket_id", flat=True)
        .first()
    )
    if row is not None:
        fill([row])
