"""What every kefu API endpoint shares: the error shape `{code, message, field?}`, the mapping of
every failure to it (never a 500 for bad input, never database text), rate-limit headers, and
the `Idempotency-Key` header documented on every POST."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import AfterValidator

from .errors import DomainError
from .ratelimit import RateLimited

log = logging.getLogger("kefu.api")

# Where ninja puts a parameter in `loc`; the field a client sent is what comes after it.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


def _storable(value: str) -> str:
    """Text a database can store: no NUL bytes and no lone surrogates (PostgreSQL refuses both)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid Unicode")
    return value


Text = Annotated[str, AfterValidator(_storable)]


def field_of(loc: Any, *, param_names: frozenset[str] = frozenset()) -> str | None:
    """The client's field name from a pydantic `loc` like ("body", "payload", "subject", 0)."""
    parts = [str(p) for p in loc if isinstance(p, str)]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in param_names:
        parts = parts[1:]
    return ".".join(parts) or None


class KefuAPI(NinjaAPI):
    """NinjaAPI that answers every error as `{code, message, field?}` and sends RateLimit headers."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._install_handlers()

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        window = getattr(request, "kefu_rate_window", None)
        if window is not None:
            for name, value in window.headers().items():
                response[name] = value
        return response

    def error(
        self,
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        **extra: Any,
    ) -> HttpResponse:
        body: dict[str, Any] = {"code": code, "message": str(message)}
        if field:
            body["field"] = field
        body.update(extra)
        return self.create_response(request, body, status=status)

    def _install_handlers(self) -> None:
        self.add_exception_handler(DomainError, self._domain_error)
        self.add_exception_handler(ValidationError, self._validation_error)
        self.add_exception_handler(AuthenticationError, self._unauthenticated)
        self.add_exception_handler(HttpError, self._http_error)
        self.add_exception_handler(Http404, self._not_found)
        self.add_exception_handler(Exception, self._unexpected)

    def _domain_error(self, request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = self.create_response(request, exc.as_dict(), status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.window.reset)
            for name, value in exc.window.headers().items():
                response[name] = value
        if exc.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="kefu"'
        return response

    def _validation_error(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for item in exc.errors:
            field = field_of(item.get("loc", ()), param_names=frozenset({"payload", "filters", "params"}))
            errors.append({"field": field, "message": item.get("msg", ""), "type": item.get("type", "")})
        first = errors[0] if errors else {"field": None, "message": _("Invalid input.")}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return self.error(request, 422, "invalid", message, field=first["field"], errors=errors)

    def _unauthenticated(self, request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = self.error(
            request,
            401,
            "unauthenticated",
            _("Authentication required: send 'Authorization: Bearer <token>'."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="kefu"'
        return response

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
            exc.status_code, "error"
        )
        message = (
            exc.message
            if exc.status_code != 400
            else _("Malformed request body: %(why)s") % {"why": exc.message}
        )
        return self.error(request, exc.status_code, code, message)

    def _not_found(self, request: HttpRequest, exc: Http404) -> HttpResponse:
        return self.error(request, 404, "not_found", _("Not found."))

    def _unexpected(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        # The database's own words never reach the client: they can leak schema and data.
        if isinstance(exc, DataError):
            return self.error(request, 422, "invalid", _("A value is out of range or not valid."))
        if isinstance(exc, IntegrityError):
            return self.error(request, 409, "conflict", _("The request conflicts with the current state."))
        if isinstance(exc, OperationalError):
            log.warning("database unavailable during %s %s", request.method, request.path, exc_info=exc)
            return self.error(
                request, 503, "unavailable", _("The service is briefly unavailable. Retry shortly.")
            )
        log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
        return self.error(request, 500, "server_error", _("Internal error."))

    def get_openapi_schema(self, **kwargs: Any):  # type: ignore[override]
        schema = super().get_openapi_schema(**kwargs)
        header = {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": (
                "Any unique string (e.g. a UUID). A repeat with the same body returns the first answer and "
                "creates nothing; the same key with a different body answers 409."
            ),
            "schema": {"type": "string", "maxLength": 255},
        }
        for item in schema.get("paths", {}).values():
            post = item.get("post")
            if post is not None:
                post.setdefault("parameters", []).append(header)
        return schema
