"""Typed domain errors of the emergency app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = ["BadPlan", "Conflict", "DrillNoReplies", "NotFound", "PermissionDenied", "ValidationFailed"]


class BadPlan(ValidationFailed):
    """An emergency plan that cannot be saved: an impossible or unbounded trigger, bad contacts…"""

    code = "bad_plan"


class DrillNoReplies(Conflict):
    """A drill never writes to customers."""

    code = "drill_no_replies"
