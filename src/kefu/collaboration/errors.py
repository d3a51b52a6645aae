"""Typed domain errors of the collaboration app (mapped to `{code, message, field?}` 4xx bodies)."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = [
    "AlreadyDone",
    "Conflict",
    "DepartmentNotReady",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
]


class DepartmentNotReady(ValidationFailed):
    """A task to a department without a calendar or without members: nobody could meet a due time."""

    code = "department_not_ready"


class AlreadyDone(Conflict):
    """Someone changed the task or approval first (compare-and-set lost), or it is already closed."""

    code = "already_done"
