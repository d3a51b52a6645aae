"""Response times: first response (calendar and business minutes), next response, resolution.

A *reply* is a public message written by a person: a REPLIED event whose actor is an agent other
than kefu's own automation user (an auto-receipt is not a response; `reply(automated=True)` keeps
it out of `first_response_at` the same way). A *customer message* is a CUSTOMER_REPLIED event
(an out-of-office answer is AUTO_RECEIVED and never starts a clock).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum

from kefu.accounts.models import SYSTEM_USERNAME
from kefu.core.metrics import Row, Window
from kefu.tickets.models import EventKind, Ticket, TicketEvent

from .common import SecondsBetween, apply_filters, columns, daily, during, narrowed


def sum_between(later: str, earlier: str) -> Sum:
    """SUM of (later - earlier) in seconds, computed by the database."""
    return Sum(SecondsBetween(F(later), F(earlier)))


def as_minutes(value: object) -> float:
    return float(value or 0) / 60  # type: ignore[arg-type]


def as_hours(value: object) -> float:
    return float(value or 0) / 3600  # type: ignore[arg-type]


# --------------------------------------------------------------------------- first response

FIRST_RESPONDER = "first_contact_owner_id"  # the agent of a first response: who gave it


def _first_responded(win: Window) -> tuple[QuerySet[Ticket], dict[str, str]]:
    paths = columns(agent=FIRST_RESPONDER)
    qs = during(Ticket.objects.filter(first_response_at__isnull=False), "first_response_at", win)
    return apply_filters(qs, win.filters, paths), paths


def first_response_rows(win: Window, by: str | None) -> list[Row]:
    """Mean calendar minutes from the ticket's creation to its first reply, by the reply's day."""
    qs, paths = _first_responded(win)
    return daily(
        qs,
        "first_response_at",
        by,
        paths,
        num=sum_between("first_response_at", "created_at"),
        den=Count("pk"),
        num_as=as_minutes,
    )


def first_response_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    return _first_responded(narrowed(win, by, group))[0]


def first_response_business_rows(win: Window, by: str | None) -> list[Row]:
    """Mean business minutes to the first reply (stored per ticket: see `business.py`)."""
    qs, paths = _first_responded(win)
    qs = qs.filter(first_response_business_seconds__isnull=False)
    return daily(
        qs,
        "first_response_at",
        by,
        paths,
        num=Sum("first_response_business_seconds"),
        den=Count("pk"),
        num_as=lambda v: float(v or 0) / 60,
    )


def first_response_business_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    return first_response_drill(win, by, group).filter(first_response_business_seconds__isnull=False)


# --------------------------------------------------------------------------- next response

NEXT_LOOKBACK = timedelta(days=90)  # a customer message answered more than 90 days later is ignored


def person_replies() -> QuerySet[TicketEvent]:
    """Public replies written by a person (not kefu's automation user)."""
    return TicketEvent.objects.filter(kind=EventKind.REPLIED).exclude(actor__username=SYSTEM_USERNAME)


def _next_responses(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    """Customer messages that follow a reply (the first of a customer's turn), with the instant and
    author of the next reply; only those answered inside the window."""
    turn = (
        TicketEvent.objects.filter(
            ticket=OuterRef("ticket"),
            kind__in=[EventKind.REPLIED, EventKind.CUSTOMER_REPLIED],
            created_at__lt=OuterRef("created_at"),
        )
        .exclude(kind=EventKind.REPLIED, actor__username=SYSTEM_USERNAME)
        .order_by("-created_at", "-id")
        .values("kind")[:1]
    )
    answer = (
        person_replies()
        .filter(ticket=OuterRef("ticket"), created_at__gt=OuterRef("created_at"))
        .order_by("created_at", "id")
    )
    qs = (
        TicketEvent.objects.filter(
            kind=EventKind.CUSTOMER_REPLIED,
            created_at__lt=win.until,
            created_at__gte=win.since - NEXT_LOOKBACK,
        )
        .annotate(
            before=Subquery(turn),
            answered_at=Subquery(answer.values("created_at")[:1]),
            answered_by=Subquery(answer.values("actor_id")[:1]),
        )
        .filter(before=EventKind.REPLIED, answered_at__gte=win.since, answered_at__lt=win.until)
    )
    paths = columns("ticket__", agent="answered_by")
    return apply_filters(qs, win.filters, paths), paths


def next_response_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _next_responses(win)
    return daily(
        qs,
        "answered_at",
        by,
        paths,
        num=sum_between("answered_at", "created_at"),
        den=Count("pk"),
        num_as=as_minutes,
    )


def next_response_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _next_responses(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


# --------------------------------------------------------------------------- resolution


def _solves(win: Window) -> tuple[QuerySet[TicketEvent], dict[str, str]]:
    from .volume import solve_events

    paths = columns("ticket__")
    return apply_filters(during(solve_events(), "created_at", win), win.filters, paths), paths


def resolution_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _solves(win)
    return daily(
        qs,
        "created_at",
        by,
        paths,
        num=sum_between("created_at", "ticket__created_at"),
        den=Count("pk"),
        num_as=as_hours,
    )


def resolution_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _solves(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))
