"""Typed domain errors of the plans app (the SMART check among them)."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = [
    "BadPeriod",
    "BadTransition",
    "Conflict",
    "DeadlineOutsidePeriod",
    "GoalWithoutOwner",
    "NoGoals",
    "NotFound",
    "PermissionDenied",
    "UnknownMetric",
    "UnknownScope",
    "UnknownTemplate",
    "ValidationFailed",
]


class BadPeriod(ValidationFailed):
    code = "bad_period"


class UnknownMetric(ValidationFailed):
    """The goal names a metric the registry does not know (or names none and is not manual)."""

    code = "unknown_metric"


class UnknownScope(ValidationFailed):
    """A scope filter on a dimension the metric cannot be cut by, or a value that does not exist."""

    code = "unknown_scope"


class DeadlineOutsidePeriod(ValidationFailed):
    code = "deadline_outside_period"


class NoGoals(ValidationFailed):
    code = "no_goals"


class GoalWithoutOwner(ValidationFailed):
    code = "goal_without_owner"


class BadTransition(Conflict):
    code = "bad_transition"


class UnknownTemplate(ValidationFailed):
    code = "unknown_template"


# --------------------------------------------------------------------------- actions, suggestions


class BadRule(ValidationFailed):
    """A recurrence rule that does not parse, repeats more often than hourly, or never occurs."""

    code = "bad_rule"


class ReasonRequired(ValidationFailed):
    code = "reason_required"


class AlreadyDecided(Conflict):
    code = "already_decided"
