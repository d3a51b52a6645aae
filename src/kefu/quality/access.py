"""Who may do what in quality inspection (fail closed: no role, nothing)."""

from __future__ import annotations

from typing import Any

from kefu.accounts.models import Role

REVIEWER_ROLES = frozenset({Role.QA, Role.SUPERVISOR, Role.ADMIN})
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_staff_agent(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def can_review(user: Any) -> bool:
    """QA reviewers, supervisors and administrators score tickets."""
    return is_staff_agent(user) and user.role in REVIEWER_ROLES


def can_manage(user: Any) -> bool:
    """Supervisors and administrators edit scorecards and settle disputes."""
    return is_staff_agent(user) and user.role in MANAGER_ROLES
