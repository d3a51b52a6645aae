"""Typed domain errors of the workforce app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "NotFound", "PermissionDenied", "RosterConflicts", "StaleRoster", "ValidationFailed"]


class RosterConflicts(Conflict):
    """Publishing was refused: the roster has conflicts the supervisor has not accepted."""

    code = "roster_conflicts"


class StaleRoster(Conflict):
    """Someone changed the roster since it was read (compare-and-set lost)."""

    code = "stale_roster"
