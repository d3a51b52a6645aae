"""Customer 360 in the agent workspace: the customer list and one customer's page (profile, tier and
its history, tags, notes, orders, and one timeline of tickets, orders, tier changes and what apps above
tickets register through `core.extensions.register_customer_timeline` — surveys, callbacks, care tasks).

It lives in tickets because the timeline needs the customer's tickets and `customers` is below
`tickets`. Access: `selectors.visible_customers` — supervisors, QA and administrators every customer,
an agent the customers of tickets they can see; anyone else (or "not yours") gets the same 404.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kefu.core import extensions
from kefu.core.clock import now
from kefu.core.errors import DomainError, ValidationFailed
from kefu.customers import merging, tiers
from kefu.customers import services as customer_services
from kefu.customers.masking import can_unmask, mask_phone
from kefu.customers.models import Customer, CustomerMerge, IdentityKind, Tier, TierChange
from kefu.customers.selectors import customer_orders, tier_history

from . import selectors
from .views_agent import staff_only

PAGE_SIZE = 50
ORDERS_SHOWN = 50
TICKETS_ON_TIMELINE = 200
TIMELINE_SHOWN = 300
KIND_LABELS = {
    "ticket": pgettext_lazy("timeline", "Ticket"),
    "order": pgettext_lazy("timeline", "Order"),
    "tier": pgettext_lazy("timeline", "Tier"),
    "survey": pgettext_lazy("timeline", "Survey"),
    "callback": pgettext_lazy("timeline", "Callback"),
    "care": pgettext_lazy("timeline", "Care task"),
}


def _customer(request: HttpRequest, pk: int) -> Customer:
    customer = selectors.visible_customers(request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404()
    return customer


@staff_only()
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    qs = selectors.visible_customers(request.user).filter(merged_into__isnull=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(identities__value__icontains=q))
        qs = qs.distinct()
    page = Paginator(qs.select_related("organisation").order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tickets/agent/customers.html",
        {"page": page, "customers": list(page.object_list), "q": q, "tier_names": tiers.tier_names()},
    )


def _timeline(request: HttpRequest, customer: Customer, tier_names: dict[str, str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    tickets = (
        selectors.visible_tickets(request.user)
        .filter(customer=customer)
        .order_by("-created_at")[:TICKETS_ON_TIMELINE]
    )
    for t in tickets:
        entries.append(
            {
                "at": t.created_at,
                "kind": "ticket",
                "title": f"{t.number} {t.subject}",
                "url": reverse("agent:ticket", args=[t.pk]),
                "ticket": t,
            }
        )
    for order in customer_orders(customer)[:ORDERS_SHOWN]:
        entries.append(
            {
                "at": order.ordered_at,
                "kind": "order",
                "title": _("Order %(number)s · %(amount)s %(currency)s")
                % {"number": order, "amount": order.amount, "currency": order.currency},
                "url": "",
            }
        )
    for change in tier_history(customer)[:50]:
        entries.append(
            {
                "at": change.created_at,
                "kind": "tier",
                "title": _("Tier %(old)s → %(new)s (%(reason)s)")
                % {
                    "old": tier_names.get(change.from_tier, change.from_tier),
                    "new": tier_names.get(change.to_tier, change.to_tier),
                    "reason": change.get_reason_display(),
                },
                "url": "",
            }
        )
    entries += extensions.customer_timeline(request, customer)
    entries = [e for e in entries if e.get("at") is not None]
    for e in entries:
        e["label"] = e.get("label") or KIND_LABELS.get(e["kind"], e["kind"])
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:TIMELINE_SHOWN]


@staff_only()
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    merged_into = customer.merged_into_id
    if merged_into and selectors.visible_customers(request.user).filter(pk=merged_into).exists():
        return redirect("agent:customer", pk=merged_into)
    at = now()
    names = tiers.tier_names()
    figs = tiers.figures([customer.pk], at=at).get(customer.pk, tiers.Figures(Decimal("0.00"), 0))
    identities = [
        {
            "kind": ident.get_kind_display(),
            "value": mask_phone(ident.value) if ident.kind == IdentityKind.PHONE else ident.value,
        }
        for ident in customer.identities.all()
    ]
    return render(
        request,
        "tickets/agent/customer.html",
        {
            "customer": customer,
            "tier_names": names,
            "figures": figs,
            "override": tiers.override_active(customer, at),
            "last_computed": tier_history(customer).filter(reason=TierChange.Reason.COMPUTED).first(),
            "history": list(tier_history(customer)[:20]),
            "identities": identities,
            "tags": list(customer.tags.order_by("name")),
            "notes": list(customer.note_entries.select_related("author")[:50]),
            "orders": list(customer_orders(customer)[:ORDERS_SHOWN]),
            "orders_total": customer.orders.count(),
            "timeline": _timeline(request, customer, names),
            "can_edit": selectors.can_edit(request.user),
            "can_unmask": can_unmask(request.user),
            # Supervisors and administrators (the same people who may unmask) set tiers and merge.
            "can_manage": can_unmask(request.user),
            "tiers": [(value, names.get(value, label)) for value, label in Tier.choices],
            "merges": list(
                CustomerMerge.objects.filter(target=customer).select_related("source", "by", "undone_by")[:20]
            ),
        },
    )


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _manageable(request: HttpRequest, pk: int) -> Customer:
    customer = _customer(request, pk)
    if not can_unmask(request.user):
        raise Http404()
    return customer


@staff_only()
@require_POST
def customer_tier(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the tier by hand (reason required, optional last day) or go back to the computed tier."""
    customer = _manageable(request, pk)
    if request.POST.get("action") == "clear":
        tiers.clear_tier_override(customer, by=request.user)
        messages.success(request, _("The tier is computed from the orders again."))
        return redirect(reverse("agent:customer", args=[customer.pk]) + "#tier")
    until = None
    raw_until = request.POST.get("until", "").strip()
    try:
        if raw_until:
            day = date.fromisoformat(raw_until)
            # The override holds through its last day (local time), so the page's "until" reads right.
            until = datetime.combine(day, time.max, tzinfo=get_current_timezone())
        tiers.set_tier_override(
            customer,
            tier=request.POST.get("tier", ""),
            reason=request.POST.get("reason", ""),
            until=until,
            by=request.user,
        )
    except ValueError:
        messages.error(request, _("Enter the last day as YYYY-MM-DD."))
    except ValidationFailed as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Tier set by hand."))
    return redirect(reverse("agent:customer", args=[customer.pk]) + "#tier")


@staff_only()
@require_POST
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this customer (the duplicate) into another one found by id or email; all history moves."""
    source = _manageable(request, pk)
    wanted = request.POST.get("into", "").strip()[:254]
    visible = selectors.visible_customers(request.user).filter(merged_into__isnull=True)
    if wanted.isdigit():
        into = visible.filter(pk=int(wanted)).first()
    else:
        into = (
            visible.filter(Q(email__iexact=wanted) | Q(identities__value__iexact=wanted)).first()
            if wanted
            else None
        )
    if into is None:
        messages.error(request, _("No customer found with that number or email address."))
        return redirect(reverse("agent:customer", args=[source.pk]) + "#merge")
    try:
        merging.merge_customers(source, into=into, by=request.user, ip=_client_ip(request))
    except DomainError as err:
        messages.error(request, err.message)
        return redirect(reverse("agent:customer", args=[source.pk]) + "#merge")
    messages.success(
        request, _("%(name)s was merged into this customer; it can be undone below.") % {"name": source.name}
    )
    return redirect(reverse("agent:customer", args=[into.pk]) + "#merges")


@staff_only()
@require_POST
def customer_unmerge(request: HttpRequest, pk: int, merge_id: int) -> HttpResponse:
    """Undo a merge listed on the customer it went into: the duplicate gets its history back."""
    target = _manageable(request, pk)
    record = CustomerMerge.objects.filter(pk=merge_id, target=target).first()
    if record is None:
        raise Http404()
    try:
        merging.unmerge(record, by=request.user, ip=_client_ip(request))
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _("Merge undone: %(name)s is a customer of its own again.") % {"name": record.source.name},
        )
    return redirect(reverse("agent:customer", args=[target.pk]) + "#merges")


@staff_only()
@require_POST
def customer_note(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if not selectors.can_edit(request.user):
        raise Http404()
    try:
        customer_services.add_note(customer, body=request.POST.get("body", ""), by=request.user)
    except ValidationFailed as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Note added."))
    return redirect(reverse("agent:customer", args=[customer.pk]) + "#notes")


@staff_only()
@require_POST
def customer_tags(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if not selectors.can_edit(request.user):
        raise Http404()
    raw = request.POST.get("tags", "").replace("，", ",")
    customer_services.set_tags(customer, names=raw.split(","))
    messages.success(request, _("Tags saved."))
    return redirect(reverse("agent:customer", args=[customer.pk]) + "#tags")
