from __future__ import annotations

from django.db.models import QuerySet

from .models import AGENT_ROLES, SYSTEM_USERNAME, Notification, Team, User


def list_agents() -> QuerySet[User]:
    return (
        User.objects.filter(role__in=AGENT_ROLES, is_active=True)
        .exclude(username=SYSTEM_USERNAME)  # the automation actor is never an assignee
        .order_by("display_name", "username")
    )


def list_teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def team_ids_of(user: User) -> list[int]:
    return list(user.teams.values_list("pk", flat=True))


def list_notifications(user: User, *, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user)[:limit])


def count_unread_notifications(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True)[:100].count()
