"""The customer portal: my requests, one request's public conversation, reply, close/reopen, files.

Signing up and sending a new request are ways in, so they live in `kefu.intake.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.models import AnonymousUser
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core import extensions
from kefu.core.errors import DomainError, PermissionDenied
from kefu.tickets.downloads import attachment_response

from . import services
from .models import Ticket, TicketType, ascii_digits
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
            "panels": extensions.portal_panels(request, ticket),
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


# --------------------------------------------------------------------------- signed links and settings
#
# A mail about a ticket (mail.notices) carries a signed link to it, as the contact form's
# confirmation mail does (intake): whoever holds the mail may read the public conversation it is
# about, nothing else. The signature binds ticket and customer, so a ticket moved to another
# customer no longer opens; its owner, logged in, goes straight to the full portal page.

LINK_SALT = "kefu.tickets.ticket-link"
LINK_MAX_AGE = timedelta(days=90)


def ticket_link_path(ticket: Ticket) -> str:
    """The path of the signed link to this ticket (prefix it with the site's BASE_URL)."""
    token = TimestampSigner(salt=LINK_SALT).sign(f"{ticket.pk}.{ticket.customer_id}")
    return reverse("portal:ticket_link", kwargs={"token": token})


def _linked_ticket(token: str) -> Ticket:
    try:
        value = TimestampSigner(salt=LINK_SALT).unsign(token or "", max_age=LINK_MAX_AGE)
    except (BadSignature, SignatureExpired):
        raise Http404 from None
    pk, _dot, customer_id = value.partition(".")
    if not (pk.isdigit() and customer_id.isdigit()):
        raise Http404
    # The signature is the access check here: it was made for this ticket and this customer.
    found = Ticket.objects.select_related("customer").filter(pk=int(pk), customer_id=int(customer_id)).first()
    for _hop in range(10):  # the request may have been merged since the mail went out
        if found is None or not found.merged_into_id:
            break
        found = Ticket.objects.select_related("customer").filter(pk=found.merged_into_id).first()
    if found is None:
        raise Http404
    return found


def ticket_link(request: HttpRequest, token: str) -> HttpResponse:
    """The ticket a notice mail is about: its public conversation, read-only, and the way in."""
    item = _linked_ticket(token)
    user = request.user
    if user.is_authenticated and user.is_customer and item.customer.user_id == user.pk:
        return redirect("portal:ticket", pk=item.pk)
    portal_url = reverse("portal:ticket", kwargs={"pk": item.pk})
    response = render(
        request,
        "tickets/portal/ticket_link.html",
        {
            "ticket": status_words(item),
            # what the customer sees: never an internal note, whoever follows the link
            "conversation": list_messages(AnonymousUser(), item),
            "has_account": item.customer.user_id is not None,
            "portal_url": portal_url,
        },
    )
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class NoticeSettingsForm(forms.Form):
    notify_by_mail = forms.BooleanField(
        label=gettext_lazy("Mail me when customer service answers or my request changes"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


@customer_required
def notice_settings(request: HttpRequest) -> HttpResponse:
    """Mail about replies on or off (the bell shows them either way)."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404
    # an unticked box posts nothing at all: bind on the method, not on `request.POST or None`
    data = request.POST if request.method == "POST" else None
    form = NoticeSettingsForm(data, initial={"notify_by_mail": customer.notify_by_mail})
    if request.method == "POST" and form.is_valid():
        wanted = form.cleaned_data["notify_by_mail"]
        type(customer).objects.filter(pk=customer.pk).update(notify_by_mail=wanted)
        if wanted:
            messages.success(request, _("We will mail you about replies to your requests."))
        else:
            messages.success(
                request, _("We will no longer mail you about replies. The bell still shows them.")
            )
        return redirect("portal:notice_settings")
    return render(request, "tickets/portal/notice_settings.html", {"form": form})
