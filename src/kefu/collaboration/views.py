"""Pages of the collaboration app: the department's task list and task page (milestone buttons),
the ask-a-department card on the ticket page, approvals, sync digests, the monthly review.

Thin: every read goes through `selectors` (404 for what you may not see), every change through
one service; a refused change shows its reason as a message."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Department
from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.core.metrics import local_zone
from kefu.tickets.selectors import access_ticket

from . import approvals, review, selectors, services, syncs
from .models import (
    ApprovalKind,
    DelayCause,
    DepartmentSettings,
    MilestoneKind,
    SyncSection,
    TaskKind,
    TaskStatus,
)


def _gate(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.can_use(request.user):
        raise Http404()
    return None


def _int(value: str) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 12 else None


# --------------------------------------------------------------------------- ticket panel


def ticket_panel(request: HttpRequest, ticket: Any) -> str:
    user = request.user
    if not selectors.can_use(user):
        return ""
    tasks = selectors.ticket_tasks(user, ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "open_tasks": [t for t in tasks if t.is_open],
        "closed_tasks": [t for t in tasks if not t.is_open],
        "can_ask": selectors.is_agent(user),
    }
    if context["can_ask"]:
        ready = DepartmentSettings.objects.exclude(weekdays="").values_list("department_id", flat=True)
        context["kinds"] = list(
            TaskKind.objects.filter(department_id__in=ready)
            .select_related("department")
            .order_by("department__name", "name")
        )
        context["approval_kinds"] = ApprovalKind.choices
    if not tasks and not context["can_ask"]:
        return ""
    return render_to_string("collaboration/_panel.html", context, request=request)


@require_POST
def ask(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    if not selectors.is_agent(request.user):
        raise Http404()
    try:
        ticket = access_ticket(request.user, ticket_pk)
    except DomainError:
        raise Http404() from None
    kind = TaskKind.objects.select_related("department").filter(pk=_int(request.POST.get("kind", ""))).first()
    try:
        if kind is None:
            raise services.ValidationFailed(_("Choose what to ask for."), field="kind")
        services.request_task(
            ticket,
            department=kind.department,
            kind=kind,
            description=request.POST.get("description", ""),
            by=request.user,
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Asked %(d)s.") % {"d": kind.department.name})
    return redirect("agent:ticket", pk=ticket.pk)


@require_POST
def ask_approval(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    if not selectors.is_agent(request.user):
        raise Http404()
    try:
        ticket = access_ticket(request.user, ticket_pk)
    except DomainError:
        raise Http404() from None
    raw = request.POST.get("amount", "").strip()
    try:
        amount = Decimal(raw) if raw else None
        if amount is not None and not amount.is_finite():
            raise InvalidOperation
        approvals.request_approval(
            ticket,
            kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            amount=amount,
            by=request.user,
        )
    except InvalidOperation:
        messages.error(request, _("The amount is a number."))
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Approval asked."))
    return redirect("agent:ticket", pk=ticket.pk)


# --------------------------------------------------------------------------- tasks


def task_list(request: HttpRequest) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    user = request.user
    department_id = _int(request.GET.get("department", ""))
    show = request.GET.get("show", "open")
    qs = selectors.list_tasks(user, department_id=department_id, open_only=show != "all")
    rows = list(qs.prefetch_related("milestones__kind")[:300])
    at = now()
    return render(
        request,
        "collaboration/tasks.html",
        {
            "rows": rows,
            "now": at,
            "show": show,
            "department_id": department_id,
            "departments": list(Department.objects.all()) if selectors.is_agent(user) else [],
            "is_member": selectors.is_member(user),
            "can_manage": selectors.can_manage(user),
            "overdue": sum(1 for t in rows if t.is_open and t.due_at < at),
        },
    )


def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    try:
        task = selectors.access_task(request.user, pk)
    except DomainError:
        raise Http404() from None
    recorded = {m.kind_id: m for m in task.milestones.select_related("kind")}
    kinds = list(MilestoneKind.objects.filter(department_id=task.department_id))
    return render(
        request,
        "collaboration/task.html",
        {
            "task": task,
            "milestones": [(k, recorded.get(k.pk)) for k in kinds],
            "events": list(task.events.select_related("actor")),
            "causes": list(DelayCause.objects.filter(active=True)),
            "late": task.is_late(),
            "can_work": selectors.is_member(request.user)
            and request.user.department_id == task.department_id,
            "statuses": TaskStatus,
        },
    )


@require_POST
def task_action(request: HttpRequest, pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    user = request.user
    try:
        task = selectors.access_task(user, pk)
    except DomainError:
        raise Http404() from None
    action = request.POST.get("action", "")
    cause = DelayCause.objects.filter(pk=_int(request.POST.get("delay_cause", "")), active=True).first()
    try:
        if action == "accept":
            services.accept_task(task, by=user)
        elif action == "done":
            services.complete_task(task, by=user, cause=cause)
        elif action == "reject":
            services.reject_task(task, by=user, reason=request.POST.get("reason", ""))
        elif action == "cause":
            if cause is None:
                raise services.ValidationFailed(_("Choose the cause of the delay."), field="delay_cause")
            services.set_delay_cause(task, cause=cause, by=user)
        elif action in ("block", "unblock"):
            services.set_blocked(task, blocked=action == "block", by=user, note=request.POST.get("note", ""))
        elif action == "milestone":
            kind = MilestoneKind.objects.filter(
                pk=_int(request.POST.get("kind", "")), department_id=task.department_id
            ).first()
            if kind is None:
                raise Http404()
            happened = request.POST.get("happened_at", "").strip()
            happened_at = None
            if happened:
                parsed = parse_datetime(happened)
                if parsed is None:
                    raise services.ValidationFailed(
                        _("Give the time as YYYY-MM-DD HH:MM."), field="happened_at"
                    )
                happened_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())
            services.record_milestone(
                task, kind=kind, by=user, happened_at=happened_at, reply=request.POST.get("reply") == "1"
            )
        else:
            raise services.ValidationFailed(_("Unknown action."), field="action")
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("collaboration:task", pk=task.pk)
    messages.success(request, _("Saved."))
    return redirect("collaboration:task", pk=task.pk)


# --------------------------------------------------------------------------- approvals


def approval_list(request: HttpRequest) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    if not selectors.is_agent(request.user):
        raise Http404()
    rows = list(selectors.list_approvals(request.user)[:200])
    return render(
        request,
        "collaboration/approvals.html",
        {
            "rows": rows,
            "now": now(),
            "can_decide": {a.pk for a in rows if approvals.can_decide(a, request.user)},
        },
    )


@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    try:
        approval = selectors.access_approval(request.user, pk)
    except DomainError:
        raise Http404() from None
    try:
        approvals.decide(
            approval,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except DomainError as err:
        messages.error(request, err.message)
        return (
            HttpResponse(status=err.status)
            if request.headers.get("HX-Request")
            else redirect("collaboration:approvals")
        )
    messages.success(request, _("Decision saved."))
    return redirect("collaboration:approvals")


# --------------------------------------------------------------------------- syncs and review


def sync_list(request: HttpRequest) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    rows = list(selectors.visible_syncs(request.user).order_by("-slot")[:60])
    settings_rows = [
        (row, syncs.sync_warnings(row))
        for row in DepartmentSettings.objects.select_related("department", "lead").order_by(
            "department__name"
        )
        if selectors.is_agent(request.user) or row.department_id == request.user.department_id
    ]
    return render(request, "collaboration/syncs.html", {"rows": rows, "settings_rows": settings_rows})


def sync_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    try:
        sync = selectors.access_sync(request.user, pk)
    except DomainError:
        raise Http404() from None
    items = selectors.sync_items(request.user, sync)
    sections = [(label, [i for i in items if i.section == value]) for value, label in SyncSection.choices]
    return render(request, "collaboration/sync.html", {"sync": sync, "sections": sections})


@require_POST
def mark_item(request: HttpRequest, pk: int) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    try:
        item = selectors.access_sync_item(request.user, pk)
    except DomainError:
        raise Http404() from None
    try:
        syncs.mark_item(item, mark=request.POST.get("mark", ""), by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    return redirect("collaboration:sync", pk=item.sync_id)


def review_page(request: HttpRequest) -> HttpResponse:
    if (gate := _gate(request)) is not None:
        return gate
    user = request.user
    departments = (
        list(Department.objects.all())
        if selectors.can_manage(user)
        else list(Department.objects.filter(pk=user.department_id))
        if selectors.is_member(user)
        else []
    )
    if not departments:
        raise Http404()
    wanted = _int(request.GET.get("department", ""))
    department = next((d for d in departments if d.pk == wanted), departments[0])
    month = request.GET.get("month", "") or review.month_name(now().astimezone(local_zone()).date())
    try:
        found = review.monthly_review(department, month=month)
    except DomainError as err:
        messages.error(request, err.message)
        found = review.monthly_review(
            department, month=review.month_name(now().astimezone(local_zone()).date())
        )
    return render(
        request,
        "collaboration/review.html",
        {"review": found, "departments": departments, "department": department},
    )
