"""Who reads and who manages plans, and the queries behind the pages (fail closed: no role → nothing).

Supervisors and admins read and manage every plan. Any other agent (QA included) reads the plans
of the whole service, of their own teams, the plans of which they are the person in scope, the
owner or a participant; they manage only the plans they own. Customers and department members
see no plan at all (the same 404 as a plan that does not exist)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import Role

from .errors import NotFound
from .models import Goal, Plan, ScopeKind

MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


def can_read(user: Any) -> bool:
    return bool(getattr(user, "is_agent", False))


def is_manager(user: Any) -> bool:
    return bool(getattr(user, "is_agent", False) and user.role in MANAGERS)


def can_manage(user: Any, plan: Plan) -> bool:
    return is_manager(user) or (can_read(user) and plan.owner_id == user.pk)


def visible_plans(user: Any) -> QuerySet[Plan]:
    if not can_read(user):
        return Plan.objects.none()
    found = Plan.objects.select_related("owner", "scope_team", "scope_person")
    if is_manager(user):
        return found
    mine = Q(scope_kind=ScopeKind.SERVICE) | Q(scope_kind=ScopeKind.CHANNEL)
    mine |= Q(scope_kind=ScopeKind.TEAM, scope_team__in=user.teams.all())
    mine |= Q(scope_person=user) | Q(owner=user) | Q(participants=user)
    return found.filter(mine).distinct()


def list_plans(user: Any) -> QuerySet[Plan]:
    goals = Goal.objects.select_related("owner").order_by("position", "pk")
    return visible_plans(user).prefetch_related(Prefetch("goals", queryset=goals))


def access_plan(user: Any, pk: int) -> Plan:
    plan = list_plans(user).filter(pk=pk).first()
    if plan is None:
        raise NotFound(_("No such plan."))
    return plan
