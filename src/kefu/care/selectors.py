"""Read queries of the care app. Fail closed: only agents see care work; callbacks follow the
ticket access rules (a callback of a ticket you may not see does not exist for you)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kefu.accounts.models import Role
from kefu.tickets.selectors import visible_tickets

from .errors import NotFound
from .models import Callback, CareTask, KeyCustomer


def can_work(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(can_work(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def visible_callbacks(user: Any) -> QuerySet[Callback]:
    if not can_work(user):
        return Callback.objects.none()
    return Callback.objects.filter(ticket__in=visible_tickets(user).values("pk")).select_related(
        "ticket", "ticket__customer", "assignee"
    )


def list_callbacks(user: Any, *, todo: bool = True, mine: bool = False) -> QuerySet[Callback]:
    qs = visible_callbacks(user)
    if todo:
        qs = qs.filter(outcome="")
    if mine:
        qs = qs.filter(assignee=user)
    return qs.order_by("created_at", "pk")


def access_callback(user: Any, callback_id: int) -> Callback:
    found = visible_callbacks(user).filter(pk=callback_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def visible_care_tasks(user: Any) -> QuerySet[CareTask]:
    """Supervisors see every task; an agent the tasks assigned to them and the unassigned ones."""
    if not can_work(user):
        return CareTask.objects.none()
    qs = CareTask.objects.select_related("customer", "assignee")
    if can_manage(user):
        return qs
    return qs.filter(assignee__isnull=True) | qs.filter(assignee=user)


def list_care_tasks(user: Any, *, period: str = "", todo: bool = True) -> QuerySet[CareTask]:
    qs = visible_care_tasks(user)
    if period:
        qs = qs.filter(period=period)
    if todo:
        qs = qs.filter(outcome="")
    return qs.order_by("due_on", "pk")


def access_care_task(user: Any, task_id: int) -> CareTask:
    found = visible_care_tasks(user).filter(pk=task_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def list_key_customers(user: Any, *, period: str) -> QuerySet[KeyCustomer]:
    if not can_manage(user):
        return KeyCustomer.objects.none()
    return KeyCustomer.objects.filter(period=period).select_related("customer")
