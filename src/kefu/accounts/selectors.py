from __future__ import annotations

from django.db.models import QuerySet

from .models import AGENT_ROLES, Team, User


def list_agents() -> QuerySet[User]:
    return User.objects.filter(role__in=AGENT_ROLES, is_active=True).order_by("display_name", "username")


def list_teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def team_ids_of(user: User) -> list[int]:
    return list(user.teams.values_list("pk", flat=True))
