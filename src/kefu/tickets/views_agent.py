"""The agent workspace: queue, search and the ticket page. Thin: parse, call one selector or service, render.

Every view reaches tickets through `selectors.access_ticket` / `visible_tickets`. Forms are plain
POST + redirect (they work without JavaScript); htmx only adds partial updates on top.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import Department
from kefu.accounts.selectors import list_agents, list_teams
from kefu.core import extensions, metrics
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.customers.models import Tier

from . import presence, selectors, services
from .downloads import attachment_response
from .errors import FormAlreadySent, StaleVersion, TicketNotFound
from .models import Category, Channel, Priority, Ticket, TicketType, ascii_digits
from .services.exports import can_export
from .states import Status, allowed_targets

AGENT_VIEWS = [
    ("mine", gettext_lazy("Mine")),
    ("unassigned", gettext_lazy("Unassigned")),
    ("my_teams", gettext_lazy("My teams")),
    ("open", gettext_lazy("Open")),
    ("pending", gettext_lazy("Pending")),
    ("on_hold", gettext_lazy("On hold")),
    ("solved", gettext_lazy("Solved")),
    ("closed", gettext_lazy("Closed")),
    ("all", gettext_lazy("All")),
    ("recent", gettext_lazy("Recently updated")),
]
DEPARTMENT_VIEWS = [
    ("all", gettext_lazy("Shared with my department")),
    ("open", gettext_lazy("Open")),
    ("recent", gettext_lazy("Recently updated")),
]
# "recent" is "all" sorted by update time: the same count, so it shows none.
UNCOUNTED_VIEWS = frozenset({"recent"})
FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "category": gettext_lazy("Category"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "subject": gettext_lazy("Subject"),
    "tags": gettext_lazy("Tags"),
    "parent": gettext_lazy("Parent ticket"),
    "first_contact_owner": gettext_lazy("First-contact owner"),
    "attachments": gettext_lazy("Attachments"),
}
# Events keep raw choice values for some fields; show their labels in the reader's language.
CHOICE_LABELS = {
    "status": dict(Status.choices),
    "priority": dict(Priority.choices),
    "type": dict(TicketType.choices),
    "channel": dict(Channel.choices),
}


# Served with their own type; anything else goes out as an opaque download.
def is_staff(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_agent or user.is_department_member))


def staff_only(*, portal_redirect: bool = False) -> Callable:
    """Anonymous → login; customers → the portal (workspace home) or the same 404 as a missing ticket."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_staff(request.user):
                if portal_redirect:
                    return redirect("/portal/")
                raise TicketNotFound()
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _require_edit(user: Any) -> None:
    if not selectors.can_edit(user):
        raise PermissionDenied(_("Department members can read shared tickets and add internal notes only."))


def _views_for(user: Any) -> list[tuple[str, Any]]:
    return AGENT_VIEWS if user.is_agent else DEPARTMENT_VIEWS


def sidebar(user: Any, active: str, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The sidebar: one entry per view, with its capped count once the counts are loaded."""
    items = []
    for key, label in _views_for(user):
        count = counts.get(key) if counts is not None else None
        items.append(
            {
                "key": key,
                "label": label,
                "count": count,
                "capped": count is not None and count >= selectors.COUNT_CAP,
            }
        )
    return {"nav_items": items, "active_view": active, "counts_loaded": counts is not None}


# --------------------------------------------------------------------------- queue and search


def _queue_params(request: HttpRequest) -> Any:
    params = request.GET.copy()
    if not params.get("view"):
        # A dashboard's drill-down lists every ticket behind its point, solved ones included.
        params["view"] = "open" if request.user.is_agent and not params.get("drill") else "all"
    return params


DRILL_PARAMS = ("drill", "drill_from", "drill_to", "drill_by", "drill_group", "drill_filter")
DRILL_GROUP_LABELS = {**CHOICE_LABELS, "tier": dict(Tier.choices)}


def _drill(request: HttpRequest) -> tuple[Any, dict[str, Any] | None]:
    """The tickets behind one point of a dashboard chart (?drill=<metric>&drill_from=&drill_to=
    [&drill_by=&drill_group=][&drill_filter=<dimension>:<value>…]), asked of the metric itself
    (core.metrics drill); the list intersects them with what the user may see. (None, None) without."""
    key = request.GET.get("drill", "")
    if not key:
        return None, None
    try:
        metric = metrics.get(key)
        start = date.fromisoformat(request.GET.get("drill_from", ""))
        end = date.fromisoformat(request.GET.get("drill_to", ""))
        wanted: dict[str, list[str]] = {}
        for item in request.GET.getlist("drill_filter"):
            dim, _sep, value = item.partition(":")
            wanted.setdefault(dim, []).append(value)
        window = metrics.window(start, end, filters=wanted, metric=metric)
        by = request.GET.get("drill_by") or None
        if metric.drill is None or (by is not None and by not in metric.dimensions):
            raise ValueError(key)
    except (metrics.MetricError, ValueError):
        raise ValidationFailed(_("This link does not name a point of a chart."), field="drill")
    group = request.GET.get("drill_group", "") if by else None
    label = DRILL_GROUP_LABELS.get(by or "", {}).get(group or "", group or "")
    if by == "team" and group and group.isdigit():
        label = next(iter(list_teams().filter(pk=group).values_list("name", flat=True)), group)
    elif by == "agent" and group and group.isdigit():
        label = next((a.name for a in list_agents().filter(pk=group)), group)
    elif by == "category" and group and group.isdigit():
        label = next((str(c) for c in Category.objects.filter(pk=group)), group)
    banner = {"metric": metric.name, "start": start, "end": end, "group": label}
    banner["params"] = [(k, v) for k in DRILL_PARAMS for v in request.GET.getlist(k)]
    return metric.drill(window, by, group), banner


@staff_only(portal_redirect=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = _queue_params(request)
    filters = selectors.TicketFilters.from_params(params)
    within, drill = _drill(request)
    page = selectors.list_tickets(
        user, filters, cursor=request.GET.get("cursor", ""), limit=50, within=within
    )
    next_url = ""
    if page.next_cursor:
        more = params.copy()
        more["cursor"] = page.next_cursor
        next_url = f"{reverse('agent:queue')}?{more.urlencode()}"
    extensions.decorate_rows(request, page.items)
    context = {
        "page": page,
        "filters": filters,
        "next_url": next_url,
        "first_page": not request.GET.get("cursor"),
        **sidebar(user, filters.view),
        "view_label": dict(_views_for(user)).get(filters.view, filters.view),
        "drill": drill,
    }
    if request.headers.get("HX-Target") == "queue-more":
        return render(request, "tickets/agent/_queue_rows.html", context)
    if drill is not None:
        drill["count"] = selectors.count_tickets(user, filters, within=within)
    context.update(
        statuses=Status.choices,
        priorities=Priority.choices,
        channels=Channel.choices,
        types=TicketType.choices,
        tiers=Tier.choices,
        teams=list(list_teams()) if user.is_agent else [],
        agents=list(list_agents()) if user.is_agent else [],
        filtered=any(params.get(n) for n in selectors.FILTER_FIELDS),
        can_export=can_export(user) and drill is None,  # the export knows no drill-down
        export_params=[(k, v) for k, v in params.items() if k not in ("cursor", "format")],
    )
    return render(request, "tickets/agent/queue.html", context)


@staff_only(portal_redirect=True)
@require_GET
def view_counts(request: HttpRequest) -> HttpResponse:
    """The sidebar with a capped count per view, loaded after the page so the queue itself stays fast."""
    user = request.user
    counted = tuple(v for v, _label in _views_for(user) if v not in UNCOUNTED_VIEWS)
    counts = selectors.count_views(user, counted)
    return render(
        request, "tickets/agent/_views_nav.html", sidebar(user, request.GET.get("view", "")[:20], counts)
    )


@staff_only(portal_redirect=True)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    if not query:
        return redirect("agent:queue")
    hits = selectors.search_tickets(request.user, query, limit=50)
    extensions.decorate_rows(request, [hit.ticket for hit in hits])
    return render(
        request,
        "tickets/agent/search.html",
        {"query": query, "hits": hits, **sidebar(request.user, "")},
    )


# --------------------------------------------------------------------------- the ticket page


def _ticket_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("agent:ticket", args=[ticket.pk])
    return f"{url}#{anchor}" if anchor else url


def _render_ticket(request: HttpRequest, ticket: Ticket, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    editable = selectors.can_edit(user)
    others = [
        t for t in selectors.list_customer_tickets(user, ticket.customer_id, limit=7) if t.pk != ticket.pk
    ]
    linked = selectors.list_linked_tickets(user, ticket)
    events = list(selectors.list_events(user, ticket))
    for event in events:
        event.field_label = FIELD_LABELS.get(event.field, event.field)
        labels = CHOICE_LABELS.get(event.field, {})
        event.old_label = labels.get(event.old_value, event.old_value)
        event.new_label = labels.get(event.new_value, event.new_value)
    context = {
        "ticket": ticket,
        "can_edit": editable,
        "timeline": list(selectors.list_messages(user, ticket)),
        "events": events,
        "other_tickets": others[:6],
        "linked": linked,
        "shares": list(ticket.shares.select_related("department")),
        "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
        "people": presence.others(ticket.pk, user=user),
        "heartbeat": presence.HEARTBEAT_SECONDS,
        "ticket_panels": extensions.ticket_panels(request, ticket),
        **sidebar(user, ""),
    }
    if editable:
        context.update(
            status_choices=[(ticket.status, Status(ticket.status).label)]
            + [(s, Status(s).label) for s in allowed_targets(ticket.status)],
            submit_as=[(s, Status(s).label) for s in allowed_targets(ticket.status) if s != Status.CLOSED],
            priorities=Priority.choices,
            types=TicketType.choices,
            categories=list(Category.objects.select_related("parent").order_by("parent_id", "name")),
            agents=list(list_agents()),
            teams=list(list_teams()),
            departments=list(Department.objects.order_by("name")),
            compose_tools=extensions.compose_tools(request, ticket),
        )
    # One-time tokens: the same form sent twice (a double click, a retry) posts one message.
    context.update(reply_token=services.new_form_token(), note_token=services.new_form_token())
    context.update(extra)
    return render(request, "tickets/agent/ticket.html", context, status=status)


@staff_only()
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.access_ticket(request.user, pk)
    presence.touch(ticket.pk, user=request.user)
    return _render_ticket(request, ticket)


def _uploads(request: HttpRequest) -> list[services.Upload]:
    return [
        services.Upload(name=f.name or "file", content=f.read(), content_type=f.content_type or "")
        for f in request.FILES.getlist("attachments")
        if f.name
    ]


def _after_post(request: HttpRequest, posted: services.Posted, text: str) -> None:
    for reason in posted.rejected:
        messages.warning(request, _("Attachment not saved: %(reason)s") % {"reason": reason})
    messages.success(request, text)


def _submission(request: HttpRequest, form: str, ticket: Ticket) -> str:
    token = request.POST.get("token", "")
    return services.submission_key(form, ticket=ticket, by=request.user, token=token)


@staff_only()
@require_POST
def post_reply(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.access_ticket(user, pk)
    _require_edit(user)
    body = request.POST.get("body", "")
    try:
        posted = services.reply(
            ticket,
            body=body,
            by=user,
            attachments=_uploads(request),
            submission=_submission(request, "agent-reply", ticket),
        )
    except (ValidationFailed, FormAlreadySent) as err:
        return _render_ticket(request, ticket, status=err.status, reply_error=err, reply_body=body)
    presence.touch(ticket.pk, user=user, replying=False)
    _after_post(request, posted, _("Reply sent."))
    submit_as = request.POST.get("submit_as", "")
    if submit_as and submit_as != ticket.status and not posted.repeated:
        try:
            services.change_status(ticket, to=submit_as, by=user)
        except ValidationFailed as err:
            messages.error(request, err.message)
    return redirect(_ticket_url(ticket, f"message-{posted.message.pk}"))


@staff_only()
@require_POST
def post_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.access_ticket(user, pk)
    body = request.POST.get("body", "")
    try:
        posted = services.add_note(
            ticket,
            body=body,
            by=user,
            attachments=_uploads(request),
            submission=_submission(request, "agent-note", ticket),
        )
    except (ValidationFailed, FormAlreadySent) as err:
        return _render_ticket(request, ticket, status=err.status, note_error=err, note_body=body)
    _after_post(request, posted, _("Internal note added."))
    return redirect(_ticket_url(ticket, f"message-{posted.message.pk}"))


def _version(request: HttpRequest) -> int:
    version = ascii_digits(request.POST.get("version", ""), max_length=9)
    if version is None:
        raise ValidationFailed(_("The form is missing the ticket version; reload the page."), field="version")
    return version


def _pick(queryset: Any, value: str, field: str) -> Any:
    """The row `value` names in `queryset`, None for an empty value, or a field error."""
    if not value:
        return None
    pk = ascii_digits(value, max_length=17)
    row = queryset.filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise ValidationFailed(_("Unknown choice."), field=field)
    return row


def _split_tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，、;；]", text) if t.strip()]


def _changes(post: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("status", "priority", "type"):
        if post.get(name):
            changes[name] = post[name]
    if "category" in post:
        changes["category"] = _pick(Category.objects.all(), post["category"], "category")
    if "assignee" in post:
        changes["assignee"] = _pick(list_agents(), post["assignee"], "assignee")
    if "team" in post:
        changes["team"] = _pick(list_teams(), post["team"], "team")
    if "tags" in post:
        changes["tags"] = _split_tags(post["tags"])
    return changes


def _edit(request: HttpRequest, ticket: Ticket, action: Callable[[], Any], done: str) -> HttpResponse:
    """Run a compare-and-set edit; a stale version shows the conflict banner, never overwrites."""
    try:
        action()
    except StaleVersion as err:
        fresh = selectors.access_ticket(request.user, ticket.pk)
        return _render_ticket(request, fresh, status=err.status, conflict=err)
    except ValidationFailed as err:
        fresh = selectors.access_ticket(request.user, ticket.pk)
        return _render_ticket(request, fresh, status=err.status, form_error=err)
    messages.success(request, done)
    return redirect(_ticket_url(ticket))


@staff_only()
@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.access_ticket(user, pk)
    _require_edit(user)

    def action() -> None:
        services.update_ticket(ticket, by=user, version=_version(request), **_changes(request.POST))

    return _edit(request, ticket, action, _("Ticket updated."))


@staff_only()
@require_POST
def assign_me(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.access_ticket(user, pk)
    _require_edit(user)

    def action() -> None:
        services.assign(ticket, to=user, by=user, version=_version(request))

    return _edit(request, ticket, action, _("Assigned to you."))


def _other_ticket(request: HttpRequest, ticket: Ticket, field: str) -> Ticket:
    text = request.POST.get(field, "").strip()
    try:
        return selectors.access_ticket(request.user, text)
    except TicketNotFound:
        raise ValidationFailed(
            _("No ticket %(number)s that you can see.") % {"number": text[:30]}, field=field
        )


def _ticket_action(
    request: HttpRequest, pk: int, act: Callable[[Ticket], tuple[Ticket, str]]
) -> HttpResponse:
    """The shape of merge/link/share: act on a ticket I may edit; a refusal re-renders the page.

    `act` returns the ticket to show next and the success message.
    """
    ticket = selectors.access_ticket(request.user, pk)
    _require_edit(request.user)
    try:
        shown, text = act(ticket)
    except ValidationFailed as err:
        return _render_ticket(request, ticket, status=err.status, form_error=err)
    messages.success(request, text)
    return redirect(_ticket_url(shown))


@staff_only()
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket: Ticket) -> tuple[Ticket, str]:
        survivor = services.merge(ticket, into=_other_ticket(request, ticket, "into"), by=request.user)
        return survivor, _("%(source)s was merged into this ticket.") % {"source": ticket.number}

    return _ticket_action(request, pk, act)


@staff_only()
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket: Ticket) -> tuple[Ticket, str]:
        target = _other_ticket(request, ticket, "to")
        services.link(ticket, to=target, by=request.user)
        return ticket, _("Linked with %(number)s.") % {"number": target.number}

    return _ticket_action(request, pk, act)


@staff_only()
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket: Ticket) -> tuple[Ticket, str]:
        department = _pick(Department.objects.all(), request.POST.get("department", ""), "department")
        if department is None:
            raise ValidationFailed(_("Choose a department."), field="department")
        services.share_with_department(ticket, department=department, by=request.user)
        return ticket, _("Shared with %(department)s.") % {"department": department.name}

    return _ticket_action(request, pk, act)


@staff_only()
@require_POST
def heartbeat(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx polls this every few seconds: record me, answer with who else is here."""
    ticket = selectors.access_ticket(request.user, pk)
    presence.touch(ticket.pk, user=request.user, replying=request.POST.get("replying") == "1")
    return render(
        request,
        "tickets/agent/_presence.html",
        {
            "ticket": ticket,
            "people": presence.others(ticket.pk, user=request.user),
            "heartbeat": presence.HEARTBEAT_SECONDS,
        },
    )


@staff_only()
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    return attachment_response(selectors.access_attachment(request.user, pk))
