"""新建工单: the agent's page for opening a ticket on behalf of a customer (a call, a walk-in, an app
kefu does not read). Mounted under /agent/ by `kefu.tickets.urls_agent`; thin: parse, call
`on_behalf.open_on_behalf`, render. Works without JavaScript; htmx only fills the suggestions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kefu.accounts.selectors import list_teams
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.customers.models import Customer
from kefu.customers.selectors import access_customer, search_customers
from kefu.tickets.models import Channel, Priority, TicketType
from kefu.tickets.services import BODY_MAX, SUBJECT_MAX
from kefu.tickets.services import new_form_token as new_token
from kefu.tickets.views_agent import sidebar, staff_only

from .on_behalf import AGENT_CHANNELS, FirstMessage, NewCustomer, idempotency_key, open_on_behalf

SUGGESTIONS = 8


class NewTicketForm(forms.Form):
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    customer_name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    customer_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    customer_email = forms.CharField(label=gettext_lazy("Email"), max_length=254, required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[(c.value, c.label) for c in AGENT_CHANNELS]
    )
    first_message = forms.ChoiceField(
        label=gettext_lazy("First message"),
        choices=FirstMessage.choices,
        initial=FirstMessage.CUSTOMER,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(label=gettext_lazy("Message"), max_length=BODY_MAX, widget=forms.Textarea)
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("Decided by triage")), *TicketType.choices],
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        required=False,
        choices=[("", gettext_lazy("Decided by triage")), *Priority.choices],
    )
    team = forms.IntegerField(label=gettext_lazy("Team"), required=False, min_value=1)
    mail_customer = forms.BooleanField(label=gettext_lazy("Mail the customer a receipt"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def _require_agent(user: Any) -> None:
    if not user.is_agent:
        raise PermissionDenied(_("Only agents can open tickets for customers."))


@staff_only()
def new_ticket(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_agent(user)
    form = NewTicketForm(
        request.POST or None,
        initial={
            "token": new_token(),
            "channel": Channel.PHONE,
            "customer_phone": request.GET.get("phone", "")[:40],  # e.g. from a phone system's pop-up
        },
    )
    chosen: Customer | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = None
            if data["team"]:
                team = list_teams().filter(pk=data["team"]).first()
                if team is None:
                    raise ValidationFailed(_("Unknown team."), field="team")
            opened = open_on_behalf(
                by=user,
                subject=data["subject"],
                body=data["body"],
                key=idempotency_key(by=user, token=data["token"]),
                channel=data["channel"],
                customer_id=data["customer"],
                new_customer=None
                if data["customer"]
                else NewCustomer(
                    name=data["customer_name"], phone=data["customer_phone"], email=data["customer_email"]
                ),
                first_message=data["first_message"],
                type=data["type"],
                priority=data["priority"],
                team=team,
                mail_customer=data["mail_customer"],
            )
        # NotFound (a customer this agent cannot see) escapes: the same 404 as a missing one
        except ValidationFailed as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            if opened.created:
                messages.success(request, _("Ticket %(number)s opened.") % {"number": opened.ticket.number})
            if opened.mailed is False:
                messages.warning(request, _("The receipt mail could not be sent now."))
            elif opened.mailed:
                messages.success(request, _("A receipt was mailed to the customer."))
            return redirect("agent:ticket", pk=opened.ticket.pk)
    customer_id = form.data.get("customer") if form.is_bound else request.GET.get("customer")
    if customer_id and str(customer_id).isdigit():
        chosen = access_customer(user, int(customer_id))
    query = request.GET.get("q", "")[:200]
    context = {
        "form": form,
        "chosen": chosen,
        "query": query,
        "suggestions": list(search_customers(user, query)[:SUGGESTIONS]) if query else [],
        "teams": list(list_teams()),
        "team_value": str(form["team"].value() or ""),
        **sidebar(user, ""),
    }
    return render(request, "tickets/agent/new_ticket.html", context, status=422 if form.errors else 200)


@staff_only()
@require_GET
def suggest_customers(request: HttpRequest) -> HttpResponse:
    """The search box's suggestions (htmx): customers by part of a name, phone number or email."""
    _require_agent(request.user)
    query = request.GET.get("q", "").strip()[:200]
    found = list(search_customers(request.user, query)[:SUGGESTIONS]) if query else []
    return render(request, "tickets/agent/_customer_suggestions.html", {"suggestions": found, "query": query})
