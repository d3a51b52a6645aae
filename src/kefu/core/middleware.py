"""Request limits and the one mapping from domain errors to 4xx answers."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import DomainError


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies before anything reads them (413, never a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.KEFU_MAX_REQUEST_BYTES
        if request.path.startswith("/api/") and "json" in request.META.get("CONTENT_TYPE", ""):
            limit = settings.KEFU_MAX_JSON_BYTES
        if length > limit:
            message = _("The request is too large (%(size)d bytes; the limit is %(limit)d).") % {
                "size": length,
                "limit": limit,
            }
            if wants_json(request):
                return JsonResponse({"code": "too_large", "message": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DomainErrorMiddleware:
    """A DomainError escaping a view becomes a 4xx: JSON for the API and htmx, a page otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and "json" not in response.get("Content-Type", "")
        ):
            # django-ninja answers a wrong method with plain text; the API promises {code, message}.
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": _("%(method)s is not allowed here; use %(allowed)s.")
                    % {"method": request.method, "allowed": allowed},
                    "field": None,
                },
                status=405,
            )
            response["Allow"] = allowed
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if wants_json(request):
            return JsonResponse(exception.as_dict(), status=exception.status)
        if request.headers.get("HX-Request"):
            return render(request, "core/partials/error.html", {"error": exception}, status=exception.status)
        return render(request, "core/error.html", {"error": exception}, status=exception.status)


class QueryCountHeaderMiddleware:
    """Benchmarks only (KEFU_QUERY_COUNT_HEADER=1): the number of SQL queries in `X-Query-Count`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.db import connection

        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
