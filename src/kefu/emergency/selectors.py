"""Read queries of the emergency app. Fail closed: staff (agents) may read plans and activations;
only supervisors and admins change them; everyone else finds nothing (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from kefu.accounts.models import Role

from .errors import NotFound
from .models import Activation, ActivationStatus, EmergencyPlan, IncidentTicket, TimelineEntry


def can_see(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(can_see(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def visible_plans(user: Any) -> QuerySet[EmergencyPlan]:
    if not can_see(user):
        return EmergencyPlan.objects.none()
    firing = Activation.objects.filter(plan=OuterRef("pk"), is_drill=False, status=ActivationStatus.OPEN)
    drilling = Activation.objects.filter(plan=OuterRef("pk"), is_drill=True, status=ActivationStatus.OPEN)
    return EmergencyPlan.objects.annotate(
        firing=Exists(firing), drilling=Exists(drilling), activation_count=Count("activations", distinct=True)
    ).select_related("canned_reply")


def list_plans(user: Any) -> QuerySet[EmergencyPlan]:
    return visible_plans(user).prefetch_related("contacts").order_by("name", "pk")


def access_plan(user: Any, plan_id: int) -> EmergencyPlan:
    found = visible_plans(user).prefetch_related("contacts").filter(pk=plan_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def visible_activations(user: Any) -> QuerySet[Activation]:
    if not can_see(user):
        return Activation.objects.none()
    return Activation.objects.select_related("plan", "started_by", "resolved_by").annotate(
        ticket_count=Count("links", distinct=True)
    )


MAX_ID = 2**62  # beyond any row id; a larger number would overflow the database's integer


def list_activations(
    user: Any, *, plan_id: int | None = None, open_only: bool = False
) -> QuerySet[Activation]:
    qs = visible_activations(user)
    if plan_id is not None:
        if not 0 < plan_id < MAX_ID:
            return qs.none()
        qs = qs.filter(plan_id=plan_id)
    if open_only:
        qs = qs.filter(status=ActivationStatus.OPEN)
    return qs.order_by("-started_at", "-pk")


def access_activation(user: Any, activation_id: int) -> Activation:
    found = (
        visible_activations(user)
        .prefetch_related(Prefetch("timeline", queryset=TimelineEntry.objects.select_related("by")))
        .filter(pk=activation_id)
        .first()
    )
    if found is None:
        raise NotFound("Not found.")
    return found


def linked_tickets(activation: Activation, *, limit: int = 500) -> list[IncidentTicket]:
    return list(
        IncidentTicket.objects.filter(activation=activation)
        .select_related("ticket", "ticket__customer")
        .order_by("linked_at", "pk")[:limit]
    )


def done_steps(activation: Activation) -> set[int]:
    keys = TimelineEntry.objects.filter(activation=activation, key__startswith="step:").values_list(
        "key", flat=True
    )
    return {int(k.split(":", 1)[1]) for k in keys}


def open_incidents() -> list[Activation]:
    """Real incidents open now (the banner on agent pages): one query."""
    return list(
        Activation.objects.filter(status=ActivationStatus.OPEN, is_drill=False).select_related("plan")[:5]
    )
