"""Staff pages of the automation app (/agent/automation/) and its parts on the ticket page. Thin."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.tickets import selectors as ticket_selectors
from kefu.tickets.errors import StaleVersion

from . import forms, rules, selectors, services, templating
from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import (
    CannedReply,
    Language,
    Macro,
    Match,
    TimeRule,
    TimeRuleKind,
    Trigger,
    TriggerEvent,
    Webhook,
)


def agents_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_agent:
            raise NotFound(_("Page not found."))
        return view(request, *args, **kwargs)

    return wrapper


def supervisors_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.is_supervisor(request.user):
            raise PermissionDenied(_("Only supervisors can change automation rules."))
        return view(request, *args, **kwargs)

    return agents_only(wrapper)


def sidebar(active: str) -> dict[str, Any]:
    return {"section": active}


# --------------------------------------------------------------------------- canned replies


@agents_only
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")[:100]
    items = selectors.search_canned_replies(request.user, query, category=category, limit=200)
    for item in items:
        item.editable = services.can_edit_owned(request.user, item.owner_id)
    return render(
        request,
        "automation/canned_list.html",
        {
            "items": items,
            "query": query,
            "category": category,
            "categories": selectors.list_categories(request.user),
            "is_supervisor": services.is_supervisor(request.user),
            **sidebar("canned"),
        },
    )


def _canned_form(
    request: HttpRequest, item: CannedReply | None, *, error: Any = None, data: Any = None
) -> HttpResponse:
    data = data or (
        {
            "title": item.title,
            "body": item.body,
            "category": item.category,
            "language": item.language,
            "shared": item.shared,
            "active": item.active,
        }
        if item
        else {"language": Language.ZH_HANS, "shared": False, "active": True}
    )
    return render(
        request,
        "automation/canned_form.html",
        {
            "item": item,
            "data": data,
            "error": error,
            "languages": Language.choices,
            "variables": list(templating.VARIABLES.items()),
            "categories": selectors.list_categories(request.user),
            "is_supervisor": services.is_supervisor(request.user),
            **sidebar("canned"),
        },
        status=error.status if error else 200,
    )


@agents_only
@require_http_methods(["GET", "POST"])
def canned_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = selectors.access_canned_reply(request.user, pk) if pk else None
    if item is not None and not services.can_edit_owned(request.user, item.owner_id):
        raise NotFound(_("Canned reply not found."))
    if request.method == "GET":
        return _canned_form(request, item)
    post = request.POST
    data = {
        "title": post.get("title", ""),
        "body": post.get("body", ""),
        "category": post.get("category", ""),
        "language": post.get("language", Language.ZH_HANS),
        "shared": post.get("shared") == "1",
        "active": post.get("active", "1") == "1",
    }
    try:
        services.save_canned_reply(by=request.user, reply=item, **data)
    except ValidationFailed as err:
        return _canned_form(request, item, error=err, data=data)
    except PermissionDenied as err:
        return _canned_form(request, item, error=err, data=data)
    messages.success(request, _("Canned reply saved."))
    return redirect("automation:home")


@agents_only
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.access_canned_reply(request.user, pk)
    services.delete_canned_reply(item, by=request.user)
    messages.success(request, _("Canned reply deleted."))
    return redirect("automation:home")


def _ticket_or_none(request: HttpRequest, value: str) -> Any:
    if not value:
        return None
    return ticket_selectors.access_ticket(request.user, value)


@agents_only
@require_GET
def canned_search(request: HttpRequest) -> HttpResponse:
    """htmx: the matching replies, each already filled in for the ticket (no side effects)."""
    ticket = _ticket_or_none(request, request.GET.get("ticket", ""))
    items = selectors.search_canned_replies(
        request.user,
        request.GET.get("q", "")[:100],
        language=request.GET.get("language", "")[:10],
    )
    context = (
        templating.context_for(ticket, agent=request.user)
        if ticket
        else templating.Context(agent_name=request.user.name)
    )
    for item in items:
        item.rendered = templating.render(item.body, context)
    return render(request, "automation/_canned_results.html", {"items": items})


@agents_only
@require_POST
def canned_used(request: HttpRequest, pk: int) -> HttpResponse:
    """The compose tool reports an insert (ordering puts the most used first)."""
    item = selectors.access_canned_reply(request.user, pk)
    ticket = _ticket_or_none(request, request.POST.get("ticket", ""))
    text = services.render_canned_reply(item, ticket=ticket, by=request.user)
    return JsonResponse({"text": text})


def compose_tool(request: HttpRequest, ticket: Any) -> str:
    """Under the reply box: search the canned replies, insert one into #reply-body."""
    if not getattr(request.user, "is_agent", False):
        return ""
    return render_to_string("automation/_compose_tool.html", {"ticket": ticket}, request=request)


# --------------------------------------------------------------------------- macros on the ticket page


def macro_panel(request: HttpRequest, ticket: Any) -> str:
    if not getattr(request.user, "is_agent", False):
        return ""
    macros = list(selectors.visible_macros(request.user))
    if not macros:
        return ""
    return render_to_string(
        "automation/_macro_panel.html", {"ticket": ticket, "macros": macros}, request=request
    )


@agents_only
@require_POST
def macro_apply(request: HttpRequest, pk: int, ticket_pk: int) -> HttpResponse:
    ticket = ticket_selectors.access_ticket(request.user, ticket_pk)
    macro = selectors.access_macro(request.user, pk)
    version = request.POST.get("version", "")
    if not version.isdigit() or len(version) > 9:
        raise ValidationFailed(_("The form is missing the ticket version; reload the page."), field="version")
    try:
        services.apply_macro(macro, ticket=ticket, by=request.user, version=int(version))
    except StaleVersion as err:
        return render(
            request,
            "automation/conflict.html",
            {"error": err, "ticket": ticket, **sidebar("macros")},
            status=err.status,
        )
    messages.success(request, _("Macro applied: %(name)s") % {"name": macro.name})
    return redirect(reverse("agent:ticket", args=[ticket.pk]))


# --------------------------------------------------------------------------- rules (row editors)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


RULE_KINDS: dict[str, Any] = {"trigger": Trigger, "time_rule": TimeRule, "macro": Macro}


def _rule_context(kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "events": TriggerEvent.choices,
        "matches": Match.choices,
        "rule_kinds": TimeRuleKind.choices,
        "fields": [
            (name, spec.label, ", ".join(rules.OPERATORS[spec.kind])) for name, spec in rules.FIELDS.items()
        ],
        "action_types": list(rules.ACTION_TYPES.items()),
        "variables": list(templating.VARIABLES.items()),
    }


@agents_only
@require_GET
def rule_list(request: HttpRequest, kind: str) -> HttpResponse:
    model = RULE_KINDS[kind]
    items = list(model.objects.all()) if kind != "macro" else list(selectors.manageable_macros(request.user))
    return render(
        request,
        "automation/rule_list.html",
        {
            "items": items,
            "is_supervisor": services.is_supervisor(request.user),
            "runs": selectors.recent_runs(30) if kind == "trigger" else [],
            **_rule_context(kind),
            **sidebar(kind),
        },
    )


def _save_rule(kind: str, request: HttpRequest, item: Any, conditions: Any, actions: Any) -> Any:
    post = request.POST
    position = (post.get("position") or "100").strip()
    common = {
        "by": request.user,
        "name": post.get("name", ""),
        "actions": actions,
        "active": post.get("active", "1") == "1",
        "position": int(position) if position.isdigit() and len(position) < 9 else 100,
    }
    if kind == "trigger":
        return services.save_trigger(
            trigger=item,
            event=post.get("event", ""),
            match=post.get("match", Match.ALL),
            conditions=conditions,
            **common,
        )
    if kind == "time_rule":
        minutes = post.get("minutes", "")
        return services.save_time_rule(
            rule=item,
            kind=post.get("rule_kind", ""),
            minutes=int(minutes) if minutes.isdigit() and len(minutes) < 8 else 0,
            conditions=conditions,
            **common,
        )
    return services.save_macro(macro=item, shared=post.get("shared", "1") == "1", **common)


@agents_only
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """Conditions and actions are edited as rows of selects; they are stored as JSON."""
    model = RULE_KINDS[kind]
    item = None
    if pk:
        item = (
            (selectors.manageable_macros(request.user) if kind == "macro" else model.objects)
            .filter(pk=pk)
            .first()
        )
        if item is None or (kind == "macro" and not services.can_edit_owned(request.user, item.owner_id)):
            raise NotFound(_("Not found."))
    if kind != "macro" and not services.is_supervisor(request.user):
        raise PermissionDenied(_("Only supervisors can change automation rules."))
    error = None
    placed = False
    if request.method == "POST":
        conditions, condition_rows, condition_at = forms.conditions_from_post(request.POST)
        actions, action_rows, action_at = forms.actions_from_post(request.POST)
        try:
            _save_rule(kind, request, item, conditions if kind != "macro" else None, actions)
        except (ValidationFailed, PermissionDenied, NotFound) as err:
            error = err
            placed = forms.place_error(err, (condition_rows, condition_at), (action_rows, action_at))
        else:
            messages.success(request, _("Saved."))
            return redirect("automation:rules", kind=kind)
        data: Any = request.POST
    elif item is not None:
        condition_rows = forms.condition_rows(getattr(item, "conditions", []))
        action_rows = forms.action_rows(item.actions)
        data = {
            "name": item.name,
            "event": getattr(item, "event", ""),
            "match": getattr(item, "match", Match.ALL),
            "rule_kind": getattr(item, "kind", ""),
            "minutes": getattr(item, "minutes", ""),
            "position": item.position,
            "active": "1" if item.active else "0",
            "shared": "1" if getattr(item, "owner_id", None) is None else "0",
        }
    else:
        condition_rows, action_rows = [], []
        data = {"position": 100, "active": "1", "shared": "1"}
    stored = (
        {"conditions": getattr(item, "conditions", None), "actions": item.actions}
        if item is not None
        else None
    )
    return render(
        request,
        "automation/rule_form.html",
        {
            "item": item,
            "data": data,
            "error": error,
            "error_placed": placed,
            "condition_rows": forms.with_blank(condition_rows, "condition"),
            "action_rows": forms.with_blank(action_rows, "action"),
            "stored_json": _dump(stored) if stored else "",
            "blank_condition": forms.with_blank([], "condition")[0],
            "blank_action": forms.with_blank([], "action")[0],
            **forms.editor_context(allow=services.MACRO_ACTIONS if kind == "macro" else None),
            **_rule_context(kind),
            **sidebar(kind),
        },
        status=error.status if error else 200,
    )


# --------------------------------------------------------------------------- webhooks


@supervisors_only
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "automation/webhooks.html",
        {
            "items": selectors.list_webhooks(),
            "deliveries": selectors.recent_deliveries(50),
            **sidebar("webhooks"),
        },
    )


@supervisors_only
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = Webhook.objects.filter(pk=pk).first() if pk else None
    if pk and item is None:
        raise NotFound(_("Not found."))
    error = None
    data: Any = {"name": item.name, "url": item.url, "active": item.active} if item else {"active": True}
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "url": request.POST.get("url", ""),
            "active": request.POST.get("active", "1") == "1",
        }
        try:
            # a blank secret keeps the current one (a new webhook gets a random one)
            secret = request.POST.get("secret", "").strip() or None
            services.save_webhook(by=request.user, webhook=item, secret=secret, **data)
        except ValidationFailed as err:
            error = err
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("automation:webhooks")
    return render(
        request,
        "automation/webhook_form.html",
        {"item": item, "data": data, "error": error, **sidebar("webhooks")},
        status=error.status if error else 200,
    )
