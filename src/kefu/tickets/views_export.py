"""The export button of the queue: the same view and filters, as a file (POST: it writes the audit log)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from .selectors import TicketFilters
from .services.exports import export_tickets
from .views_agent import staff_only


@staff_only()
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    params = request.POST.copy()
    params.setdefault("view", "all")
    filters = TicketFilters.from_params(params)
    name, content_type, body = export_tickets(
        request.user, filters, fmt=params.get("format", "xlsx"), ip=request.META.get("REMOTE_ADDR", "")
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a shared proxy or the browser cache
    return response
