"""Staff pages of customers: the audited unmasking of a phone number, the order import. Thin."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts.api import client_ip
from kefu.core.errors import DomainError

from . import selectors
from .masking import can_unmask, reveal_phones
from .order_files import parse_mapping
from .orders import import_file

MAX_ERRORS_SHOWN = 200


@require_POST
def reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated or not can_unmask(request.user):
        raise Http404()
    try:
        customer = selectors.access_customer(request.user, pk)
    except DomainError:
        raise Http404() from None
    phones = reveal_phones(customer, by=request.user, ip=client_ip(request))
    return render(request, "customers/_phone_full.html", {"phones": phones})


@require_http_methods(["GET", "POST"])
def import_orders(request: HttpRequest) -> HttpResponse:
    """Supervisors upload a CSV or XLSX of orders and read the report (rows rejected by line)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_unmask(request.user):
        raise Http404()
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        lines = [line.strip() for line in request.POST.get("mapping", "").splitlines() if line.strip()]
        if upload is None:
            context["error"] = _("Choose a CSV or XLSX file.")
        else:
            try:
                report = import_file(upload, name=upload.name, by=request.user, mapping=parse_mapping(lines))
            except DomainError as err:
                context["error"] = err.message
            else:
                context["report"] = report
                context["errors"] = report.errors[:MAX_ERRORS_SHOWN]
                context["more_errors"] = max(0, len(report.errors) - MAX_ERRORS_SHOWN)
        context["mapping"] = "\n".join(lines)
    return render(request, "customers/import_orders.html", context)
