"""Read queries of the feedback app. Fail closed: customers see their own surveys, agents the surveys
of the tickets they may see (visible_tickets: their teams'), nobody else anything."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from kefu.accounts.models import Role
from kefu.tickets.selectors import visible_tickets

from .errors import NotFound
from .models import NpsSurvey, ProductFeedback, Survey


def can_work(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(can_work(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def visible_surveys(user: Any) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("ticket", "customer", "ticket__assignee", "ticket__team")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_customer:
        customer = getattr(user, "customer", None)
        return qs.filter(customer=customer) if customer is not None else qs.none()
    if user.is_agent:
        # EXISTS, not IN: SQLite would build the list of every visible ticket id first (query-plan guard).
        return qs.filter(Exists(visible_tickets(user).filter(pk=OuterRef("ticket_id"))))
    return qs.none()


def access_survey(user: Any, survey_id: int) -> Survey:
    found = visible_surveys(user).filter(pk=survey_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def survey_of_ticket(user: Any, ticket_id: int) -> Survey | None:
    return visible_surveys(user).filter(ticket_id=ticket_id).first()


def list_answers(
    user: Any,
    *,
    score: int | None = None,
    channel: str = "",
    team: int | None = None,
    since: date | None = None,
    until: date | None = None,
    answered: bool | None = True,
) -> QuerySet[Survey]:
    qs = visible_surveys(user)
    if answered is True:
        qs = qs.filter(answered_at__isnull=False)
    elif answered is False:
        qs = qs.filter(answered_at__isnull=True)
    if score is not None:
        qs = qs.filter(score=score)
    if channel:
        qs = qs.filter(channel=channel)
    if team is not None:
        qs = qs.filter(ticket__team_id=team)
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    if until is not None:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-answered_at", "-pk")


def visible_nps(user: Any) -> QuerySet[NpsSurvey]:
    qs = NpsSurvey.objects.select_related("customer")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_customer:
        customer = getattr(user, "customer", None)
        return qs.filter(customer=customer) if customer is not None else qs.none()
    if can_manage(user):
        return qs
    return qs.none()


def visible_product_feedback(user: Any) -> QuerySet[ProductFeedback]:
    if not can_work(user):
        return ProductFeedback.objects.none()
    return ProductFeedback.objects.filter(ticket__in=visible_tickets(user).values("pk")).select_related(
        "ticket", "message", "tagged_by", "reviewed_by"
    )


def access_product_feedback(user: Any, item_id: int) -> ProductFeedback:
    found = visible_product_feedback(user).filter(pk=item_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found
