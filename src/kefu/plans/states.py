"""A plan's life: draft → active → in review → closed (and back from review to active)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    REVIEW = "review", _("In review")
    CLOSED = "closed", _("Closed")


TRANSITIONS: dict[str, frozenset[str]] = {
    PlanState.DRAFT: frozenset({PlanState.ACTIVE}),
    PlanState.ACTIVE: frozenset({PlanState.REVIEW}),
    PlanState.REVIEW: frozenset({PlanState.ACTIVE, PlanState.CLOSED}),
    PlanState.CLOSED: frozenset(),
}


def can_move(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())
