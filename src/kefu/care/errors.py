"""Typed domain errors of the care app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = ["AlreadyWorked", "BadOutcome", "Conflict", "NotFound", "PermissionDenied", "ValidationFailed"]


class AlreadyWorked(Conflict):
    """Someone recorded an outcome first (compare-and-set lost)."""

    code = "already_worked"


class BadOutcome(ValidationFailed):
    code = "bad_outcome"
