"""The customer portal: my requests, one request's public conversation, reply, close/reopen, files.

Signing up and sending a new request are ways in, so they live in `kefu.intake.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError, PermissionDenied
from kefu.tickets.downloads import attachment_response

from . import services
from .models import TicketType, ascii_digits
from .selectors import TicketFilters, access_attachment, access_ticket, list_messages, list_tickets
from .states import Status, allowed_targets

# Statuses and types in the words a customer uses, not the queue's jargon.
STATUS_WORDS = {
    Status.NEW: (gettext_lazy("Received"), "bg-blue-lt"),
    Status.OPEN: (gettext_lazy("In progress"), "bg-azure-lt"),
    Status.PENDING: (gettext_lazy("Waiting for your reply"), "bg-orange-lt"),
    Status.ON_HOLD: (gettext_lazy("In progress"), "bg-azure-lt"),
    Status.SOLVED: (gettext_lazy("Solved"), "bg-green-lt"),
    Status.CLOSED: (gettext_lazy("Closed"), "bg-secondary-lt"),
}
TYPE_WORDS = {
    TicketType.CONSULTATION: gettext_lazy("A question"),
    TicketType.COMPLAINT: gettext_lazy("A complaint"),
    TicketType.AFTER_SALES: gettext_lazy("Return, exchange or repair"),
    TicketType.TECHNICAL: gettext_lazy("A technical problem"),
    TicketType.SUGGESTION: gettext_lazy("A suggestion"),
}
MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern from Django's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(n)d files at once.") % {"n": MAX_FILES})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def uploads_from(files: list[Any]) -> list[services.Upload]:
    """Uploaded files → Uploads; the services judge size and type (check_upload)."""
    return [
        services.Upload(name=f.name or "file", content=f.read(), content_type=f.content_type or "")
        for f in files
    ]


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_customer:
            raise PermissionDenied(_("This page is for customers. Staff work in the agent workspace."))
        return view(request, *args, **kwargs)

    return wrapped


def status_words(ticket: Any) -> Any:
    """Attach the customer's words for the status (label, badge class) to a ticket for the template."""
    ticket.portal_status, ticket.portal_badge = STATUS_WORDS.get(
        ticket.status, (ticket.status, "bg-secondary-lt")
    )
    ticket.portal_type = TYPE_WORDS.get(ticket.type, ticket.type)
    return ticket


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"))
    token = forms.CharField(widget=forms.HiddenInput, required=False)


# --------------------------------------------------------------------------- pages


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_authenticated and user.is_customer):
        return render(request, "tickets/portal/landing.html")
    page = list_tickets(user, TicketFilters(), cursor=request.GET.get("cursor", ""), limit=25)
    own = getattr(user, "customer", None)
    return render(
        request,
        "tickets/portal/home.html",
        {
            "tickets": [status_words(t) for t in page.items],
            "next_cursor": page.next_cursor,
            "own_customer_id": own.pk if own else None,
        },
    )


def _ticket_page(
    request: HttpRequest, ticket: Any, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    targets = allowed_targets(ticket.status, customer=True)
    if form is not None and form.is_bound:
        # Nothing was posted with the refused form's token (or it was already used): a fresh one.
        form.data = form.data.copy()
        form.data["token"] = services.new_form_token()
    return render(
        request,
        "tickets/portal/ticket.html",
        {
            "ticket": status_words(ticket),
            "conversation": list_messages(request.user, ticket),
            "form": form or ReplyForm(initial={"token": services.new_form_token()}),
            "can_close": Status.CLOSED in targets,
            "can_reopen": Status.OPEN in targets,
        },
        status=status,
    )


@customer_required
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    return _ticket_page(request, access_ticket(request.user, pk))


@customer_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_ticket(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, item, form, status=422)
    token = form.cleaned_data["token"]
    try:
        posted = services.reply(
            item,
            body=form.cleaned_data["body"],
            by=request.user,
            attachments=uploads_from(form.cleaned_data["attachments"]),
            channel="web",
            # The same form posted twice (a double click, a retry): the first reply is the answer.
            submission=services.submission_key("portal-reply", ticket=item, by=request.user, token=token),
        )
    except DomainError as err:
        form.add_error("body" if err.field in (None, "body") else None, err.message)
        return _ticket_page(request, item, form, status=err.status)
    for reason in posted.rejected:
        messages.warning(request, reason)
    messages.success(request, _("Your reply was sent."))
    return redirect("portal:ticket", pk=item.pk)


@customer_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_ticket(request.user, pk)
    to = request.POST.get("to", "")
    if to not in (Status.CLOSED, Status.OPEN):
        raise Http404
    version = ascii_digits(request.POST.get("version", ""), max_length=9)
    try:
        services.change_status(item, to=to, by=request.user, version=version)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("portal:ticket", pk=item.pk)
    if to == Status.CLOSED:
        messages.success(request, _("Your request was closed. You can reopen it at any time."))
    else:
        messages.success(request, _("Your request was reopened. We will get back to you soon."))
    return redirect("portal:ticket", pk=item.pk)


@customer_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    return attachment_response(access_attachment(request.user, pk))


@customer_required
def password(request: HttpRequest) -> HttpResponse:
    """Set a password (customers who came in through an emailed link have none) or change it."""
    user = request.user
    form_class = PasswordChangeForm if user.has_usable_password() else SetPasswordForm
    form = form_class(user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-control"
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password was saved. Log in with your email and this password."))
        return redirect("portal:home")
    return render(
        request, "tickets/portal/password.html", {"form": form, "has_password": user.has_usable_password()}
    )
