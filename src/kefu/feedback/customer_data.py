"""Feedback's share of a customer's data (registered with `customers.privacy`; FAULTS D4): the
customer's own words in CSAT and NPS answers. An export lists every answer; an erasure removes the
comments and reason tags but keeps the scores, so satisfaction figures of past months do not move."""

from __future__ import annotations

from django.db.models import Q

from kefu.customers import privacy
from kefu.customers.models import Customer

from .models import NpsSurvey, Survey


def _export(customer: Customer) -> dict:
    return {
        "csat": [
            {
                "ticket": s.ticket.number,
                "score": s.score,
                "comment": s.comment,
                "reasons": s.reasons,
                "answered_at": s.answered_at,
                "answered_via": s.answered_via,
            }
            for s in Survey.objects.filter(customer=customer).select_related("ticket").order_by("pk")
        ],
        "nps": [
            {"month": period, "score": score, "comment": comment, "answered_at": answered_at}
            for period, score, comment, answered_at in NpsSurvey.objects.filter(customer=customer)
            .order_by("period")
            .values_list("period", "score", "comment", "answered_at")
        ],
    }


def _erase(customer: Customer) -> int:
    said = ~Q(comment="")
    rows = (
        Survey.objects.filter(customer=customer).filter(said | ~Q(reasons=[])).update(comment="", reasons=[])
    )
    return rows + NpsSurvey.objects.filter(customer=customer).filter(said).update(comment="")


def register() -> None:
    privacy.register_part("feedback", export=_export, erase=_erase, order=800)
