"""Callbacks and care tasks on the Customer 360 timeline (core.extensions.register_customer_timeline,
wired in apps.py): what the reader may see of them, by the care app's own rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Callback
from .selectors import visible_callbacks, visible_care_tasks

SHOWN = 50


def customer_entries(request: HttpRequest, customer: Any) -> list[dict[str, Any]]:
    user = request.user
    entries: list[dict[str, Any]] = []
    callbacks = visible_callbacks(user).filter(ticket__customer=customer).order_by("-created_at")[:SHOWN]
    for c in callbacks:
        state = c.get_outcome_display() if c.outcome else c.get_reason_display()
        entries.append(
            {
                "at": c.worked_at or c.created_at,
                "kind": "callback",
                "title": f"{Callback._meta.verbose_name} {c.ticket.number}: {state}",
                "url": reverse("agent:ticket", args=[c.ticket_id]),
            }
        )
    for t in visible_care_tasks(user).filter(customer=customer).order_by("-created_at")[:SHOWN]:
        state = f": {t.get_outcome_display()}" if t.outcome else ""
        entries.append(
            {
                "at": t.worked_at or t.created_at,
                "kind": "care",
                "title": f"{t.get_kind_display()} {t.period}{state}",
                "url": reverse("care:tasks") + f"?period={t.period}",
            }
        )
    return entries
