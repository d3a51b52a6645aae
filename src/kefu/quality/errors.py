"""Typed domain errors of the quality app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = [
    "BadScorecard",
    "Conflict",
    "IncompleteReview",
    "NotFound",
    "PermissionDenied",
    "ReviewLocked",
    "ValidationFailed",
]


class BadScorecard(ValidationFailed):
    """A scorecard that cannot be used: no items, weights not adding up to 100, a bad item."""

    code = "bad_scorecard"


class IncompleteReview(ValidationFailed):
    code = "incomplete_review"


class ReviewLocked(Conflict):
    """The review cannot change now (disputed, settled, already acknowledged, or edited meanwhile)."""

    code = "review_locked"
