"""Response times: first response (calendar and business minutes), next response, resolution.

A *reply* is a public message written by a person: a REPLIED event whose actor is an agent other
than kefu's own automation user (an auto-receipt is not a response; `reply(automated=True)` keeps
it out of `first_response_at` the same way). A *customer message* is a CUSTOMER_REPLIED event
(an out-of-office answer is AUTO_RECEIVED and never starts a clock).
"""

from __future__ import annotations

from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet, Sum

from kefu.core.metrics import Row, Window
from kefu.tickets.models import Ticket

from .common import apply_filters, columns, daily, during, narrowed


def sum_between(later: str, earlier: str) -> Sum:
    """SUM of (later - earlier), computed by the database (a duration)."""
    return Sum(ExpressionWrapper(F(later) - F(earlier), output_field=DurationField()))


def as_minutes(value: object) -> float:
    return seconds(value) / 60


def as_hours(value: object) -> float:
    return seconds(value) / 3600


def seconds(value: object) -> float:
    """A SUM of durations as seconds (a timedelta on every backend Django supports)."""
    if value is None:
        return 0.0
    total = getattr(value, "total_seconds", None)
    return float(total()) if total else float(value) / 1_000_000  # type: ignore[arg-type]


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
