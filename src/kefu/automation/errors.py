"""Typed domain errors of the automation app."""

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "NotFound", "PermissionDenied", "ValidationFailed", "RuleInvalid", "UnsafeUrl"]


class RuleInvalid(ValidationFailed):
    """A condition, action or template that may not be saved; `field` names the offending part."""

    code = "rule_invalid"


class UnsafeUrl(ValidationFailed):
    """A webhook URL that points inside the network (SSRF guard), at save or at send."""

    code = "unsafe_url"
