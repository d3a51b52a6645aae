"""Supervisor pages at /agent/routing/ and the triage panel on the agent's ticket page. Thin."""

from __future__ import annotations

from typing import Any

from celery.result import EagerResult
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import Skill, Team, User
from kefu.core.choices import label
from kefu.core.errors import DomainError
from kefu.customers.models import Tier
from kefu.tickets.models import Channel, Priority, TicketType

from . import selectors, tasks
from .models import AgentStatus, AssignmentRule, KeywordRule, Presence, SuggestionState, TriageField
from .services import assignment, rules, triage


def _supervisor(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.can_manage(request.user):
        raise Http404()
    return None


def _int(value: Any, default: int = 100) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# Rule and model values are stored as codes (complaint, high, vip); the page shows their labels.
CONDITION_CHOICES = {
    "channel": (gettext_lazy("Channel"), Channel),
    "type": (gettext_lazy("Type"), TicketType),
    "priority": (gettext_lazy("Priority"), Priority),
    "tier": (gettext_lazy("Customer tier"), Tier),
}
SOURCES = {"history": gettext_lazy("ticket history")}


def value_label(field: str, value: str) -> str:
    choices = CONDITION_CHOICES.get(field, (None, None))[1]
    return label(choices, value) if choices is not None else value


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    models = list(selectors.list_models()[:50])
    field_labels = dict(TriageField.choices)
    for m in models:
        m.field_label = field_labels.get(m.field, m.field)
        m.source_label = SOURCES.get(m.source, m.source)
        m.per_class = [
            (value_label(m.field, k), row) for k, row in (m.metrics.get("per_class") or {}).items()
        ]
    keyword_rules = list(selectors.list_keyword_rules())
    for r in keyword_rules:
        r.value_label = value_label(r.field, r.value)
    assignment_rules = list(selectors.list_assignment_rules())
    for r in assignment_rules:
        r.when = [value_label(key, getattr(r, key)) for key in CONDITION_CHOICES if getattr(r, key)]
    edit_assignment = AssignmentRule.objects.filter(pk=_int(request.GET.get("ar"), 0)).first()
    conditions = [
        (
            key,
            title,
            [
                (v, lbl, edit_assignment is not None and getattr(edit_assignment, key) == v)
                for v, lbl in c.choices
            ],
        )
        for key, (title, c) in CONDITION_CHOICES.items()
    ]
    agents = selectors.list_agents_with_status()
    days = selectors.working_today(agents)
    context = {
        "settings_row": rules.get_settings(),
        "keyword_rules": keyword_rules,
        "assignment_rules": assignment_rules,
        "models": models,
        "active_models": [m for m in models if m.is_active],
        "agents": [(agent, status, days[agent.pk]) for agent, status in agents],
        "dispatch": selectors.repeat_dispatch_rate(),
        "waiting": assignment.waiting_count(),
        "fields": TriageField.choices,
        "presences": Presence.choices,
        "teams": Team.objects.all(),
        "skills": Skill.objects.all(),
        "conditions": conditions,
        "edit_keyword": KeywordRule.objects.filter(pk=_int(request.GET.get("kw"), 0)).first(),
        "edit_assignment": edit_assignment,
    }
    return render(request, "routing/home.html", context)


def _done(request: HttpRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("routing:home")


def _failed(request: HttpRequest, err: DomainError) -> HttpResponse:
    messages.error(request, err.message)
    return redirect("routing:home")


@require_POST
def save_keyword_rule(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    rule = KeywordRule.objects.filter(pk=_int(request.POST.get("id"), 0)).first()
    try:
        rules.save_keyword_rule(
            by=request.user,  # type: ignore[arg-type]
            keywords=request.POST.get("keywords", ""),
            field=request.POST.get("field", ""),
            value=request.POST.get("value", ""),
            position=_int(request.POST.get("position")),
            is_active=request.POST.get("is_active", "on") == "on",
            rule=rule,
        )
    except DomainError as err:
        return _failed(request, err)
    return _done(request, _("Keyword rule saved."))


@require_POST
def delete_keyword_rule(request: HttpRequest, pk: int) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    rule = KeywordRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404()
    rules.delete_rule(rule, by=request.user)  # type: ignore[arg-type]
    return _done(request, _("Rule deleted."))


@require_POST
def save_assignment_rule(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    post = request.POST
    rule = AssignmentRule.objects.filter(pk=_int(post.get("id"), 0)).first()
    try:
        rules.save_assignment_rule(
            by=request.user,  # type: ignore[arg-type]
            name=post.get("name", ""),
            position=_int(post.get("position")),
            is_active=post.get("is_active", "on") == "on",
            conditions={k: post.get(k, "") for k in (*CONDITION_CHOICES, "keyword")},
            team=Team.objects.filter(pk=_int(post.get("team"), 0)).first(),
            skill=Skill.objects.filter(pk=_int(post.get("skill"), 0)).first(),
            language=post.get("language", ""),
            senior_only=post.get("senior_only") == "on",
            rule=rule,
        )
    except DomainError as err:
        return _failed(request, err)
    return _done(request, _("Assignment rule saved."))


@require_POST
def delete_assignment_rule(request: HttpRequest, pk: int) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    rule = AssignmentRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404()
    rules.delete_rule(rule, by=request.user)  # type: ignore[arg-type]
    return _done(request, _("Rule deleted."))


@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    post = request.POST
    try:
        rules.update_settings(
            by=request.user,  # type: ignore[arg-type]
            threshold=float(post.get("threshold", "0.8") or 0.8),
            daily_cap=_int(post.get("daily_cap"), 50),
            chat_cap=_int(post.get("chat_cap"), 5),
            first_contact_days=_int(post.get("first_contact_days"), 7),
            auto_assign=post.get("auto_assign") == "on",
        )
    except ValueError:
        messages.error(request, _("The threshold is a probability between 0 and 1."))
        return redirect("routing:home")
    except DomainError as err:
        return _failed(request, err)
    return _done(request, _("Settings saved."))


@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    field = request.POST.get("field", "")
    if field not in TriageField.values:
        raise Http404()
    result = tasks.retrain_field.delay(field)
    # eager (embedded/tests): the outcome is here now; with a worker it is queued (no result backend needed)
    outcome = result.get() if isinstance(result, EagerResult) else _("queued")
    return _done(request, _("Retraining %(field)s: %(outcome)s") % {"field": field, "outcome": outcome})


@require_POST
def save_availability(request: HttpRequest, pk: int) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    agent = User.objects.filter(pk=pk).first()
    if agent is None or not agent.is_agent:
        raise Http404()
    post = request.POST
    try:
        assignment.set_status(
            agent=agent,
            by=request.user,  # type: ignore[arg-type]
            presence=post.get("presence", ""),
            working_days="".join(post.getlist("days")),
            daily_cap=_int(post.get("daily_cap"), 0) or None,
            chat_cap=_int(post.get("chat_cap"), 0) or None,
        )
    except DomainError as err:
        return _failed(request, err)
    return _done(request, _("Availability saved."))


# --------------------------------------------------------------------------- the agent's own presence

PRESENCE_DOTS = {
    Presence.ONLINE: "status-green",
    Presence.AWAY: "status-yellow",
    Presence.OFFLINE: "status-secondary",
}


def presence_widget(request: HttpRequest) -> str:
    """The top bar's 在线 / 离开 / 离线 switch: chats go only to agents online, nothing to agents offline."""
    user = request.user
    if not (user.is_authenticated and user.is_agent):
        return ""
    status = AgentStatus.objects.filter(agent=user).first()
    presence = status.presence if status else Presence.ONLINE
    return render_to_string(
        "routing/_presence.html",
        {"presence": presence, "presences": Presence.choices, "dot": PRESENCE_DOTS[presence]},
        request=request,
    )


@require_POST
def save_my_presence(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_agent:
        raise Http404()
    try:
        assignment.set_presence(agent=request.user, presence=request.POST.get("presence", ""))  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, err.message)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = "agent:queue"
    return redirect(back)


# --------------------------------------------------------------------------- ticket panel


def _value_label(field: str, value: str) -> str:
    if field == "type":
        return str(dict(TicketType.choices).get(value, value))
    if field == "priority":
        return str(dict(Priority.choices).get(value, value))
    return value


def _shown(ticket: Any, prediction: Any) -> tuple[str, bool]:
    """The predicted value in the reader's language, and whether the ticket already has it."""
    value = prediction.value
    if prediction.field == "type":
        return _value_label("type", value), ticket.type == value
    if prediction.field == "priority":
        return _value_label("priority", value), ticket.priority == value
    if prediction.field == "team":
        return value, bool(ticket.team_id) and ticket.team.name == value
    if prediction.field == "category":
        category = ticket.category
        return value, category is not None and value in (category.name, str(category))
    return value, False


def triage_panel(request: HttpRequest, ticket: Any) -> str:
    if not getattr(request.user, "is_agent", False):
        return ""
    predictions = selectors.predictions_for(ticket.pk)
    for prediction in predictions:
        prediction.value_label, prediction.is_current = _shown(ticket, prediction)
        prediction.others = [
            {"value": str(v), "label": _value_label(prediction.field, str(v)), "probability": float(pr)}
            for v, pr in (prediction.alternatives or [])
        ]
    log = list(selectors.assignment_log(ticket.pk)[:3])
    if not predictions and not log:
        return ""
    return render_to_string(
        "routing/_panel.html",
        {
            "ticket": ticket,
            "predictions": predictions,
            "log": log,
            "SUGGESTED": SuggestionState.SUGGESTED,
            "field_labels": dict(TriageField.choices),
        },
        request=request,
    )


@require_POST
def accept_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    prediction = triage.access_prediction(request.user, pk)  # type: ignore[arg-type]
    try:
        triage.accept(prediction, by=request.user, choice=request.POST.get("value", ""))  # type: ignore[arg-type]
        messages.success(request, _("Suggestion applied."))
    except DomainError as err:
        messages.error(request, err.message)
    return redirect("agent:ticket", prediction.ticket_id)


@require_POST
def dismiss_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    prediction = triage.access_prediction(request.user, pk)  # type: ignore[arg-type]
    triage.dismiss(prediction, by=request.user)  # type: ignore[arg-type]
    return redirect("agent:ticket", prediction.ticket_id)
