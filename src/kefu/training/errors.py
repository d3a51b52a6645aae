"""Typed domain errors of the training app (mapped to `{code, message, field?}` 4xx bodies)."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = [
    "AlreadySubmitted",
    "Conflict",
    "NoAttemptsLeft",
    "NotFound",
    "PermissionDenied",
    "StageNotReady",
    "ValidationFailed",
]


class AlreadySubmitted(Conflict):
    """The attempt was submitted (or marked) by another request first."""

    code = "already_submitted"


class NoAttemptsLeft(Conflict):
    code = "no_attempts_left"


class StageNotReady(Conflict):
    """A stage's exit condition (course done, assessment passed, earlier stage signed) is not met."""

    code = "stage_not_ready"
