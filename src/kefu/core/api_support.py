"""What every kefu API endpoint shares: the error shape `{code, message, field?}`, the mapping of
every failure to it (never a 500 for bad input, never database text), rate-limit headers, text a
database can store (no NUL, no lone surrogates: refused while parsing), and an OpenAPI schema that
tells the truth: every error status an operation can answer is documented with that shape, every
component name stands for one definition only, and the `Idempotency-Key` header is on every POST."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.parser import Parser
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler

from .errors import DomainError
from .ratelimit import RateLimited

log = logging.getLogger("kefu.api")

# Where ninja puts a parameter in `loc`; the field a client sent is what comes after it.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class ErrorOut(Schema):
    """Every error answer. Some carry more keys (`errors` on 422, `current_version` on 409…)."""

    code: str = Field(description="Stable machine-readable reason, e.g. not_found, invalid, stale_version")
    message: str = Field(description="For people, in the caller's language (zh-Hans or en)")
    field: str | None = Field(None, description="The input at fault (dotted for nested fields), if any")


# --------------------------------------------------------------------------- text a database can store


def _unstorable_reason(value: str) -> str | None:
    """Why a database cannot store `value` (PostgreSQL refuses NUL; UTF-8 has no lone surrogates)."""
    if "\x00" in value:
        return _("Text must not contain NUL characters (U+0000).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text must be valid Unicode: it contains a lone surrogate (U+D800 to U+DFFF).")
    return None


def _storable(value: str) -> str:
    reason = _unstorable_reason(value)
    if reason:
        raise ValueError(reason)
    return value


Text = Annotated[str, AfterValidator(_storable)]


class UnstorableText(ValueError):
    """A string in the request that no database can store; `field` is where it was."""

    def __init__(self, message: str, field: str | None):
        super().__init__(message)
        self.message = message
        self.field = field


def _printable(key: str) -> str:
    """A field name fit to echo back: NUL and lone surrogates as `\\u` escapes."""
    return "".join(f"\\u{ord(ch):04x}" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in key)


def refuse_unstorable(data: Any, path: tuple[str, ...] = ()) -> None:
    """Raise UnstorableText for the first key or string value, at any depth, a database cannot store."""
    if isinstance(data, str):
        reason = _unstorable_reason(data)
        if reason:
            raise UnstorableText(reason, ".".join(path) or None)
    elif isinstance(data, dict):
        for key, value in data.items():
            name = str(key)
            reason = _unstorable_reason(name)
            if reason:
                raise UnstorableText(reason, ".".join((*path, _printable(name))))
            refuse_unstorable(value, (*path, name))
    elif isinstance(data, list):
        for item in data:  # an item is named by its list, like every other 422 (`tags`, not `tags.0`)
            refuse_unstorable(item, path)


class KefuParser(Parser):
    """JSON bodies, query strings and form fields with NUL or lone surrogates are refused while
    parsing (422 naming the field), the same on SQLite and PostgreSQL, whatever the field's type."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        refuse_unstorable(data)  # ninja turns any error here into a 400; KefuAPI answers a 422
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        refuse_unstorable(result)
        return result


# --------------------------------------------------------------------------- OpenAPI: one name, one definition


@dataclass(frozen=True)
class ComponentName:
    """`Annotated[Status, ComponentName("TicketStatus")]`: publish a type (typically an enum) under a
    name of its own in the OpenAPI components. Several apps have a `Status`; without this they would
    all be published as `Status`, and one would silently replace the others."""

    name: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        target = handler.resolve_ref_schema(handler(source))
        # The definition's key comes from `ref` (module path and id are stripped off): the new name.
        return {**target, "ref": f"kefu.api.{self.name}:{id(source)}"}

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> Any:
        json_schema = handler(core_schema)
        handler.resolve_ref_schema(json_schema)["title"] = self.name
        return json_schema


class ComponentNameClash(ImproperlyConfigured):
    """Two different definitions were about to be published under one component name."""


class CheckedOpenAPISchema(OpenAPISchema):
    """ninja's schema builder, except that a component name reused by a different definition is an
    error naming both, instead of the last one silently winning (clients would then reject real
    answers; rename one: a distinct class name, or `ComponentName` for an enum), and operations that
    also answer anonymous callers say so in their `security`."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != definition:
                raise ComponentNameClash(
                    f"Two different OpenAPI components are both called {name!r}:\n"
                    f"{json.dumps(known, ensure_ascii=False)[:500]}\n"
                    f"{json.dumps(definition, ensure_ascii=False)[:500]}\n"
                    "Give one a distinct name (rename the schema class, or ComponentName for an enum)."
                )
        super().add_schema_definitions(definitions)

    def operation_security(self, operation: Any) -> list[dict[str, Any]] | None:
        security = super().operation_security(operation)
        if security and any(
            not hasattr(auth, "openapi_security_schema") for auth in operation.auth_callbacks
        ):
            # An auth callback without a security scheme lets callers in without credentials (the public
            # help centre): say so, or generated clients would insist on a token.
            security.append({})
        return security


# --------------------------------------------------------------------------- OpenAPI: every error documented

# Every status kefu answers with `{code, message, field?}`, and what it means.
ERROR_RESPONSES: dict[int, str] = {
    400: "Malformed request body (not JSON, or not the documented form).",
    401: "Missing, malformed, revoked or expired credentials (`WWW-Authenticate: Bearer`).",
    403: "Not allowed for your role, a field only staff may set, or a failed CSRF check (session).",
    404: "Not found, or not visible to you: both answer the same 404.",
    409: "Conflicts with the current state: a stale `version`, a request with the same "
    "`Idempotency-Key` still in progress, or a duplicate.",
    413: "The request body is larger than the limit.",
    422: "Invalid input; `field` names it. Also text with NUL characters or lone surrogates, and an "
    "`Idempotency-Key` reused with another body.",
    429: "Rate limit exceeded: retry after `Retry-After` seconds (`RateLimit-*` headers).",
    503: "The database is briefly unavailable; retry shortly.",
}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, read from what it takes.

    Any request can be refused for its credentials (401), its caller's role (403), a missing or
    invisible object or an unknown path (404), an oversized body (413, checked before routing), the
    rate limit (429) or a database outage (503). Input can be invalid (422); a body can be malformed
    (400); a write can conflict (409) or be refused as a forged cross-site request (403).
    """
    codes = {403, 404, 413, 429, 503}
    if operation.get("security"):
        codes.add(401)
    if operation.get("parameters") or operation.get("requestBody") or method in WRITE_METHODS:
        codes.add(422)
    if operation.get("requestBody"):
        codes.add(400)
    if method in WRITE_METHODS:
        codes.add(409)
    return codes


def document_errors(schema: dict[str, Any], media_type: str = "application/json") -> None:
    """Add the shared error body to every status each operation of `schema` can answer."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
    )
    if components.setdefault("ErrorOut", error_schema) != error_schema:
        raise ComponentNameClash("'ErrorOut' is the shared error body; another schema has its name.")
    body = {"content": {media_type: {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorOut")}}}}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation)):
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": ERROR_RESPONSES[status], **body}
            if 429 in responses:
                responses[429].setdefault(
                    "headers",
                    {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
                )


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
        kwargs.setdefault("parser", KefuParser())
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
        self.add_exception_handler(UnstorableText, self._unstorable_text)
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

    def _unstorable_text(self, request: HttpRequest, exc: UnstorableText) -> HttpResponse:
        errors = [{"field": exc.field, "message": exc.message, "type": "unstorable_text"}]
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return self.error(request, 422, "invalid", message, field=exc.field, errors=errors)

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
        if isinstance(exc.__cause__, UnstorableText):  # raised by KefuParser.parse_body
            return self._unstorable_text(request, exc.__cause__)
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

    def get_openapi_schema(  # type: ignore[override]
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = CheckedOpenAPISchema(self, path_prefix)
        document_errors(schema, self.renderer.media_type)
        header = {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": (
                "Any unique string (e.g. a UUID). A repeat with the same body returns the first answer and "
                "creates nothing; the same key with a different body answers 422."
            ),
            "schema": {"type": "string", "maxLength": 255},
        }
        for item in schema.get("paths", {}).values():
            post = item.get("post")
            if post is not None:
                post.setdefault("parameters", []).append(header)
        return schema
