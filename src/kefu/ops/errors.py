"""The pages a person sees when something goes wrong: in their language, never a traceback.

Django calls these as `handler400/403/404/500` and `CSRF_FAILURE_VIEW`. The API (django-ninja) has
its own JSON errors; these catch what reaches Django itself (an unknown path, a failure in a
middleware, a database that is down).
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from kefu.core.middleware import wants_json

RETRY_AFTER_SECONDS = 15


def _answer(request: HttpRequest, status: int, code: str, message: str, template: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    if request.headers.get("HX-Request"):
        # htmx swaps the body into the page: a fragment, not a whole document.
        return render(
            request, "core/partials/error.html", {"error": {"code": code, "message": message}}, status=status
        )
    return render(request, template, {"code": code, "status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 400, "bad_request", _("The request could not be understood."), "ops/error.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A view that says why (PermissionDenied("This page is for customers…")) is heard.
    reason = str(exception or "") or _("You may not do this.")
    return _answer(request, 403, "forbidden", reason, "ops/error.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        404,
        "not_found",
        _("This page does not exist, or you may not see it."),
        "ops/error.html",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Almost always a form left open past a log-out or a restart: say what to do, not Django's reason.
    return _answer(
        request,
        403,
        "csrf_failed",
        _(
            "This form has expired. Reload the page and try again; what you typed may need to be entered again."
        ),
        "ops/error.html",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database is unreachable (a restart, a failover): the person may retry.

    Rendered without the request's context processors, which would query the database again.
    """
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        status, code = 503, "unavailable"
        message = _("The service is briefly unavailable. Please try again in a moment.")
    else:
        status, code = 500, "server_error"
        message = _("Something went wrong on our side. It has been logged; please try again.")
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "field": None}, status=status
        )
    else:
        body = loader.render_to_string(
            "ops/server_error.html", {"status": status, "code": code, "message": message}
        )
        response = HttpResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
