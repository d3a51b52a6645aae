"""Typed domain errors. One handler maps them to 4xx JSON `{code, message, field?}` and form errors."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request. Subclasses set `code` and `status`."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, **extra: object):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code
        self.extra = extra

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422


class TooLarge(DomainError):
    code = "too_large"
    status = 413
