"""Typed domain errors of the feedback app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = ["AlreadyAnswered", "BadLink", "Conflict", "NotFound", "OutOfRange", "PermissionDenied"]


class BadLink(PermissionDenied):
    """A survey link that was not made by us (forged, altered) or is past its expiry."""

    code = "bad_link"


class Expired(BadLink):
    code = "expired"


class AlreadyAnswered(Conflict):
    code = "already_answered"


class OutOfRange(ValidationFailed):
    code = "out_of_range"
