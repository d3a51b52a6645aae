"""Read queries of the collaboration app. Fail closed, and "not yours" is the same 404 as "missing".

- A department member sees only their department's tasks, and only on tickets still shared with
  that department (tickets' own rule for department members).
- An agent sees the tasks of the tickets they may see; supervisors and admins see every task.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kefu.accounts.models import Role
from kefu.tickets.selectors import visible_tickets

from .errors import NotFound
from .models import OPEN_TASK_STATUSES, Approval, ApprovalStatus, Sync, SyncItem, Task


def is_member(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_department_member)


def is_agent(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(is_agent(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def can_use(user: Any) -> bool:
    return is_member(user) or is_agent(user)


def visible_tasks(user: Any) -> QuerySet[Task]:
    qs = Task.objects.select_related("ticket", "department", "kind", "requested_by", "delay_cause")
    if is_member(user):
        return qs.filter(
            department_id=user.department_id,
            ticket__in=visible_tickets(user).values("pk"),
        )
    if is_agent(user):
        if can_manage(user):
            return qs
        return qs.filter(ticket__in=visible_tickets(user).values("pk"))
    return qs.none()


def list_tasks(user: Any, *, department_id: int | None = None, open_only: bool = False) -> QuerySet[Task]:
    qs = visible_tasks(user)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if open_only:
        qs = qs.filter(status__in=OPEN_TASK_STATUSES)
    return qs.order_by("due_at", "pk")


def access_task(user: Any, task_id: int) -> Task:
    found = visible_tasks(user).filter(pk=task_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def ticket_tasks(user: Any, ticket: Any) -> list[Task]:
    """The tasks on a ticket the reader already sees (the ticket page checked that): no second
    visibility check over all tickets; a department member gets only their department's tasks."""
    qs = Task.objects.select_related("ticket", "department", "kind", "requested_by", "delay_cause")
    if is_member(user):
        qs = qs.filter(department_id=user.department_id)
    elif not is_agent(user):
        return []
    return list(qs.filter(ticket=ticket).prefetch_related("milestones__kind"))


def visible_approvals(user: Any) -> QuerySet[Approval]:
    if not is_agent(user):
        return Approval.objects.none()
    qs = Approval.objects.select_related("ticket", "approver", "requested_by", "decided_by")
    if can_manage(user):
        return qs
    return qs.filter(Q(approver=user) | Q(ticket__in=visible_tickets(user).values("pk")))


def list_approvals(user: Any, *, pending_only: bool = False) -> QuerySet[Approval]:
    qs = visible_approvals(user)
    if pending_only:
        qs = qs.filter(status=ApprovalStatus.PENDING)
    return qs.order_by("-created_at", "-pk")


def access_approval(user: Any, approval_id: int) -> Approval:
    found = visible_approvals(user).filter(pk=approval_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def visible_syncs(user: Any) -> QuerySet[Sync]:
    qs = Sync.objects.select_related("department")
    if is_member(user):
        return qs.filter(department_id=user.department_id)
    if is_agent(user):
        return qs
    return qs.none()


def access_sync(user: Any, sync_id: int) -> Sync:
    found = visible_syncs(user).filter(pk=sync_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def sync_items(user: Any, sync: Sync) -> list[SyncItem]:
    """The digest's items whose tasks this user may still see."""
    tasks = visible_tasks(user).values("pk")
    return list(
        SyncItem.objects.filter(sync=sync, task__in=tasks).select_related(
            "task", "task__ticket", "task__kind"
        )
    )


def access_sync_item(user: Any, item_id: int) -> SyncItem:
    item = SyncItem.objects.select_related("sync", "task").filter(pk=item_id).first()
    if item is None or not visible_tasks(user).filter(pk=item.task_id).exists():
        raise NotFound("Not found.")
    if not visible_syncs(user).filter(pk=item.sync_id).exists():
        raise NotFound("Not found.")
    return item
