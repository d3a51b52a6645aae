"""Agent pages of the care app: callbacks and care tasks worked from a list, the referral report.

Keyboard: each row's outcome buttons carry access keys (Alt+1…4 on the first open row) and the
notes box of the first row has the focus, so a list is worked without a mouse."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import metrics
from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.core.metrics import local_zone

from . import periods, referrals, selectors, services
from .models import Outcome

KEY_SHOWN = 100


def _agent(request: HttpRequest) -> None:
    if not selectors.can_work(request.user):
        raise Http404()


def _month(request: HttpRequest) -> str:
    wanted = request.GET.get("period", "")
    if wanted:
        return periods.name(periods.parse(wanted))
    return periods.name(now().astimezone(local_zone()).date())


def callbacks(request: HttpRequest) -> HttpResponse:
    _agent(request)
    mine = request.GET.get("mine") == "1"
    rows = list(selectors.list_callbacks(request.user, todo=True, mine=mine)[:200])
    return render(request, "care/callbacks.html", {"rows": rows, "mine": mine, "outcomes": Outcome.choices})


@require_POST
def work_callback(request: HttpRequest, pk: int) -> HttpResponse:
    _agent(request)
    try:
        callback = selectors.access_callback(request.user, pk)
        services.work_callback(
            callback,
            outcome=request.POST.get("outcome", ""),
            notes=request.POST.get("notes", ""),
            by=request.user,  # type: ignore[arg-type]  # an agent: checked by _agent
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Outcome saved."))
    return redirect("care:callbacks")


def tasks(request: HttpRequest) -> HttpResponse:
    _agent(request)
    try:
        period = _month(request)
    except DomainError as err:
        messages.error(request, err.message)
        period = periods.name(now().astimezone(local_zone()).date())
    rows = list(selectors.list_care_tasks(request.user, period=period)[:300])
    context = {"rows": rows, "period": period, "outcomes": Outcome.choices}
    if selectors.can_manage(request.user):
        context.update(_key_list(request, period))
    return render(request, "care/tasks.html", context)


def _key_list(request: HttpRequest, period: str) -> dict:
    """The month's key-customer list for supervisors: who is on it and why, and its touch rate read
    through the metric registry (the figure the dashboards and plans show)."""
    first = periods.parse(period)
    last = periods.next_month(first) - timedelta(days=1)
    listed = selectors.list_key_customers(request.user, period=period)
    touch = metrics.total("touch_rate", start=first, end=last)
    return {
        "show_key_list": True,
        "key_customers": list(listed[:KEY_SHOWN]),
        "key_count": listed.count(),
        "key_reached": listed.filter(reached_at__isnull=False).count(),
        "touch_rate": touch,
    }


@require_POST
def work_task(request: HttpRequest, pk: int) -> HttpResponse:
    _agent(request)
    matched = {"yes": True, "no": False}.get(request.POST.get("service_matched", ""))
    try:
        task = selectors.access_care_task(request.user, pk)
        services.work_care_task(
            task,
            outcome=request.POST.get("outcome", ""),
            notes=request.POST.get("notes", ""),
            service_matched=matched,
            by=request.user,  # type: ignore[arg-type]  # an agent: checked by _agent
        )
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("care:tasks")
    messages.success(request, _("Outcome saved."))
    return redirect(f"{reverse('care:tasks')}?period={task.period}")


def _report(request: HttpRequest) -> tuple[str, list[referrals.ReportRow]]:
    if not selectors.can_manage(request.user):
        raise Http404()
    try:
        period = _month(request)
    except DomainError as err:
        raise Http404() from err
    return period, referrals.report(period=period)


def referrals_page(request: HttpRequest) -> HttpResponse:
    period, rows = _report(request)
    return render(request, "care/referrals.html", {"rows": rows, "period": period})


@require_POST
def referrals_csv(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage(request.user):
        raise Http404()
    try:
        period = periods.name(periods.parse(request.POST.get("period", "")))
    except DomainError as err:
        raise Http404() from err
    body = referrals.export_csv(
        user=request.user,  # type: ignore[arg-type]  # a supervisor: checked above
        period=period,
        ip=request.META.get("REMOTE_ADDR", ""),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="referrals-{period}.csv"'
    return response
