"""Ticket statuses and the transitions allowed between them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending (waiting on customer)")
    ON_HOLD = "on_hold", _("On hold (waiting on a department)")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
DONE_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),  # reopen, or close for good
    Status.CLOSED: frozenset({Status.OPEN}),  # reopen
}

# What a customer may do to their own ticket in the portal.
CUSTOMER_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.CLOSED}),
    Status.OPEN: frozenset({Status.CLOSED}),
    Status.PENDING: frozenset({Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


def can_transition(current: str, target: str, *, customer: bool = False) -> bool:
    table = CUSTOMER_TRANSITIONS if customer else TRANSITIONS
    return target in table.get(current, frozenset())


def allowed_targets(current: str, *, customer: bool = False) -> list[str]:
    table = CUSTOMER_TRANSITIONS if customer else TRANSITIONS
    return [s for s in Status.values if s in table.get(current, frozenset())]
