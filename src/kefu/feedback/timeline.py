"""Surveys on the Customer 360 timeline (core.extensions.register_customer_timeline, wired in apps.py):
each CSAT survey of the customer's tickets the reader can see, and the customer's NPS answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import NpsSurvey, Survey
from .selectors import can_work, visible_nps, visible_surveys

SHOWN = 50


def customer_entries(request: HttpRequest, customer: Any) -> list[dict[str, Any]]:
    user = request.user
    entries: list[dict[str, Any]] = []
    surveys = visible_surveys(user).filter(customer=customer).order_by("-created_at")[:SHOWN]
    for s in surveys:
        score = f"{s.score}/5" if s.score is not None else "—"
        comment = f" · {s.comment[:80]}" if s.comment else ""
        entries.append(
            {
                "at": s.answered_at or s.created_at,
                "kind": "survey",
                "title": f"{Survey._meta.verbose_name} {s.ticket.number}: {score}{comment}",
                "url": reverse("agent:ticket", args=[s.ticket_id]),
            }
        )
    if can_work(user):
        for n in visible_nps(user).filter(customer=customer, answered_at__isnull=False)[:SHOWN]:
            entries.append(
                {
                    "at": n.answered_at,
                    "kind": "survey",
                    "title": f"{NpsSurvey._meta.verbose_name} {n.period:%Y-%m}: {n.score}/10",
                    "url": "",
                }
            )
    return entries
