"""Agent pages of the emergency app: the plans with their status, a plan (trigger, steps, contacts,
history), an activation (timeline, linked tickets, checklist, broadcast), the plan form. Supervisors
and admins only (everyone else: 404); the open-incident banner shows to every agent."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.automation import templating
from kefu.automation.models import CannedReply
from kefu.core.errors import DomainError
from kefu.tickets.models import Channel

from . import selectors, services
from .models import ActivationStatus, EmergencyPlan, TriggerKind


def _manager(request: HttpRequest) -> Any:
    if not selectors.can_manage(request.user):
        raise Http404()
    return request.user


def plans(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    rows = list(selectors.list_plans(user)[:200])
    recent = list(selectors.list_activations(user)[:10])
    return render(request, "emergency/plans.html", {"rows": rows, "recent": recent})


def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    try:
        plan = selectors.access_plan(user, pk)
    except DomainError as err:
        raise Http404() from err
    history = list(selectors.list_activations(user, plan_id=plan.pk)[:100])
    return render(request, "emergency/plan.html", {"plan": plan, "history": history})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: str, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _data(post: Any) -> services.PlanData:
    canned = post.get("canned_reply_id", "")
    return services.PlanData(
        name=post.get("name", ""),
        trigger=post.get("trigger", ""),
        description=post.get("description", ""),
        window_minutes=_int(post.get("window_minutes"), 0),
        multiplier=_float(post.get("multiplier"), 0.0),
        baseline_weeks=_int(post.get("baseline_weeks"), 0),
        min_count=_int(post.get("min_count"), 0),
        keyword=post.get("keyword", ""),
        channel=post.get("channel", ""),
        percent=_float(post.get("percent"), -1.0),
        cooldown_minutes=_int(post.get("cooldown_minutes"), -1),
        steps=_lines(post.get("steps", "")),
        contact_ids=[_int(v, 0) for v in post.getlist("contact_ids")],
        contact_emails=_lines(post.get("contact_emails", "").replace(",", "\n")),
        canned_reply_id=_int(canned, 0) if canned else None,
        broadcast_text=post.get("broadcast_text", ""),
        active=post.get("active") == "on",
    )


def edit_plan(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _manager(request)
    plan: EmergencyPlan | None = None
    if pk is not None:
        try:
            plan = selectors.access_plan(user, pk)
        except DomainError as err:
            raise Http404() from err
    error: DomainError | None = None
    values: dict[str, Any] = {}
    if request.method == "POST":
        data = _data(request.POST)
        try:
            plan = services.save_plan(data, by=user, plan=plan)
        except DomainError as err:
            error = err
            values = dict(data.__dict__)
        else:
            messages.success(request, _("Emergency plan saved."))
            return redirect("emergency:plan", pk=plan.pk)
    elif plan is not None:
        values = {
            **{f: getattr(plan, f) for f in services.PlanData.__dataclass_fields__ if hasattr(plan, f)},
            "contact_ids": [u.pk for u in plan.contacts.all()],
            "canned_reply_id": plan.canned_reply_id,
        }
    else:
        values = dict(services.PlanData(name="", trigger=TriggerKind.VOLUME, active=True).__dict__)
    context = {
        "plan": plan,
        "values": values,
        "steps_text": "\n".join(values.get("steps") or []),
        "emails_text": "\n".join(values.get("contact_emails") or []),
        "error": error,
        "triggers": TriggerKind.choices,
        "channels": Channel.choices,
        "staff": User.objects.filter(
            is_active=True, role__in=["agent", "senior_agent", "supervisor", "admin"]
        )
        .exclude(username__startswith="kefu")
        .order_by("display_name", "pk")[:300],
        "templates": CannedReply.objects.filter(active=True, owner__isnull=True).order_by("title")[:200],
    }
    return render(request, "emergency/plan_form.html", context, status=422 if error else 200)


@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    try:
        plan = selectors.access_plan(user, pk)
    except DomainError as err:
        raise Http404() from err
    try:
        activation = services.activate(
            plan, by=user, drill=request.POST.get("drill") == "1", note=request.POST.get("note", "")
        )
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("emergency:plan", pk=plan.pk)
    return redirect("emergency:activation", pk=activation.pk)


def activation_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    try:
        activation = selectors.access_activation(user, pk)
    except DomainError as err:
        raise Http404() from err
    done = selectors.done_steps(activation)
    steps = [(i, text, i in done) for i, text in enumerate(activation.plan.steps or [])]
    links = selectors.linked_tickets(activation)
    pending = sum(1 for link in links if link.replied_at is None)
    body = services.broadcast_body(activation.plan)
    if body and links:  # what the first linked ticket's customer reads
        body = templating.render(body, templating.context_for(links[0].ticket, agent=user))
    return render(
        request,
        "emergency/activation.html",
        {
            "a": activation,
            "steps": steps,
            "links": links,
            "pending": pending,
            "body": body,
            "is_open": activation.status == ActivationStatus.OPEN,
        },
    )


def _activation_action(request: HttpRequest, pk: int, act: Any, ok: str) -> HttpResponse:
    user = _manager(request)
    try:
        activation = selectors.access_activation(user, pk)
    except DomainError as err:
        raise Http404() from err
    try:
        result = act(activation, user)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, ok % {"count": result} if "%(count)" in ok else ok)
    return redirect("emergency:activation", pk=pk)


@require_POST
def tick_step(request: HttpRequest, pk: int) -> HttpResponse:
    index = _int(request.POST.get("step", ""), -1)
    return _activation_action(
        request, pk, lambda a, u: services.tick_step(a, index=index, by=u), _("Step ticked.")
    )


@require_POST
def broadcast(request: HttpRequest, pk: int) -> HttpResponse:
    return _activation_action(
        request, pk, lambda a, u: services.broadcast(a, by=u), _("Broadcast reply sent to %(count)d tickets.")
    )


@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _activation_action(
        request, pk, lambda a, u: services.resolve(a, by=u, note=note), _("Activation resolved.")
    )


def incident_banner(request: HttpRequest) -> str:
    """A red badge in the top bar while a real incident is open (every agent sees it)."""
    if not selectors.can_see(request.user):
        return ""
    incidents = selectors.open_incidents()
    if not incidents:
        return ""
    return render_to_string(
        "emergency/_banner.html",
        {"incidents": incidents, "can_manage": selectors.can_manage(request.user)},
        request=request,
    )
