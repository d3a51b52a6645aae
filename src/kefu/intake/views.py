"""The ways in for customers: sign up, a new request from the portal, and the public contact form
(embeddable in a company's site) whose ticket the customer reaches through an emailed link."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from kefu.core.errors import ValidationFailed
from kefu.tickets.services import BODY_MAX, SUBJECT_MAX
from kefu.tickets.views_portal import TYPE_WORDS, MultipleFileField, customer_required, uploads_from

from . import services
from . import signup as signing_up
from .errors import LinkInvalid

LOGIN_BACKEND = "kefu.accounts.backends.EmailOrUsernameBackend"


def _input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _text(rows: int = 6) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


class SignUpForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your name"), max_length=100, widget=_input(autocomplete="name")
    )
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
        help_text=gettext_lazy("We send you a link to choose your password."),
    )


class ChoosePasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 8 characters."),
    )
    repeat = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        validate_password(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("repeat") != data["password"]:
            self.add_error("repeat", _("The two passwords differ."))
        return data


class RequestForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX, widget=_input())
    type = forms.ChoiceField(
        label=gettext_lazy("What is it about?"),
        choices=list(TYPE_WORDS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=BODY_MAX,
        widget=_text(),
        help_text=gettext_lazy(
            "Order number, what happened, what you expected: the more we know, the faster we help."
        ),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"))
    token = forms.CharField(widget=forms.HiddenInput, required=False)


PREFILL_MAX = 2000  # a link's message; the visitor may write more


class ContactForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your name"), max_length=100, widget=_input(autocomplete="name")
    )
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
        help_text=gettext_lazy("We send you a link to follow your request."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX, widget=_input())
    message = forms.CharField(label=gettext_lazy("Message"), max_length=BODY_MAX, widget=_text())
    attachments = MultipleFileField(label=gettext_lazy("Attachments"))
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Honeypot: hidden from people, filled in by naive bots.
    website = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


def _field_error(form: forms.Form, err: ValidationFailed, names: dict[str, str]) -> None:
    field = names.get(err.field or "", err.field)
    form.add_error(field if field in form.fields else None, err.message)


# --------------------------------------------------------------------------- portal: sign up, new request


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signing_up.request_sign_up(
                name=data["name"], email=data["email"], language=services.customer_language(get_language())
            )
        except signing_up.MailNotSent:
            form.add_error(None, _("We could not send the mail just now. Please try again in a few minutes."))
        else:
            # The same page whether or not the address has an account: it tells no one who is a customer.
            hours = int(signing_up.SIGNUP_MAX_AGE.total_seconds() // 3600)
            return render(request, "intake/signup_sent.html", {"email": data["email"], "hours": hours})
    return render(request, "intake/signup.html", {"form": form}, status=422 if form.errors else 200)


def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link's page: the mailbox's owner chooses the password, and only then is the account made."""
    try:
        pending = signing_up.read_signup_token(token)
    except LinkInvalid as err:
        return _invalid(request, err)
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = signing_up.complete_sign_up(token, password=form.cleaned_data["password"])
        except LinkInvalid as err:
            return _invalid(request, err)
        login(request, user, backend=LOGIN_BACKEND)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("portal:home")
    context = {"form": form, "pending": pending}
    return render(request, "intake/signup_confirm.html", context, status=422 if form.errors else 200)


@customer_required
def new_request(request: HttpRequest) -> HttpResponse:
    form = RequestForm(
        request.POST or None, request.FILES or None, initial={"token": services.new_form_token()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            received = services.submit_request(
                user=request.user,
                subject=data["subject"],
                body=data["description"],
                type=data["type"],
                token=data["token"],
                attachments=uploads_from(data["attachments"]),
                language=get_language(),
            )
        except ValidationFailed as err:
            _field_error(form, err, {"body": "description"})
        else:
            for reason in received.rejected:
                messages.warning(request, reason)
            messages.success(
                request,
                _("Your request %(number)s was sent. We will reply soon.")
                % {"number": received.ticket.number},
            )
            return redirect("portal:ticket", pk=received.ticket.pk)
    return render(request, "intake/new_request.html", {"form": form}, status=422 if form.errors else 200)


# --------------------------------------------------------------------------- public contact form


def _embedded(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1"


def _contact(request: HttpRequest) -> HttpResponse:
    embed = _embedded(request)
    context: dict[str, Any] = {"embed": embed, "base": "intake/embed_base.html" if embed else "base.html"}
    if request.method == "POST":
        wait = services.allow_contact_submission(request.META.get("REMOTE_ADDR", ""))
        if wait:
            response = render(
                request, "intake/too_many.html", {**context, "minutes": max(1, wait // 60)}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
    initial = {"token": services.new_form_token()}
    if request.method == "GET":  # prefilled by a link, e.g. the help centre's bot handing over
        initial |= {
            "subject": request.GET.get("subject", "")[:SUBJECT_MAX],
            "message": request.GET.get("message", "")[:PREFILL_MAX],
        }
    form = ContactForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sent = reverse("contact:sent") + ("?" + urlencode({"embed": 1}) if embed else "")
        if data["website"]:
            return redirect(sent)  # a bot: look successful, store nothing
        try:
            result = services.submit_contact_form(
                name=data["name"],
                email=data["email"],
                subject=data["subject"],
                body=data["message"],
                token=data["token"],
                attachments=uploads_from(data["attachments"]),
                language=get_language(),
                site_url=settings.BASE_URL,
            )
        except ValidationFailed as err:
            _field_error(form, err, {"body": "message"})
        else:
            if result.received.rejected:
                # Shown on the next page; in an iframe without cookies we show them right away.
                if embed:
                    return render(
                        request, "intake/contact_sent.html", {**context, "rejected": result.received.rejected}
                    )
                for reason in result.received.rejected:
                    messages.warning(request, reason)
            return redirect(sent)
    context["form"] = form
    return render(request, "intake/contact.html", context, status=422 if form.errors else 200)


_contact_page = csrf_protect(_contact)
# Framed on another site, the iframe gets no SameSite=Lax cookies, so no CSRF cookie either. The
# form acts on no session (the emailed link is what grants access), so the embed skips CSRF and
# relies on the honeypot, the per-IP rate limit and the form token.
_contact_embed = xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(_contact))


@csrf_exempt
def contact(request: HttpRequest) -> HttpResponse:
    return _contact_embed(request) if _embedded(request) else _contact_page(request)


def _contact_sent(request: HttpRequest) -> HttpResponse:
    embed = _embedded(request)
    context = {"embed": embed, "base": "intake/embed_base.html" if embed else "base.html"}
    return render(request, "intake/contact_sent.html", context)


_contact_sent_embed = xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(_contact_sent))


def contact_sent(request: HttpRequest) -> HttpResponse:
    return _contact_sent_embed(request) if _embedded(request) else _contact_sent(request)


def _invalid(request: HttpRequest, err: LinkInvalid) -> HttpResponse:
    return render(request, "intake/link_invalid.html", {"error": err}, status=err.status)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that prefetch links change nothing."""
    try:
        contact_request = services.read_confirm_token(token)
    except LinkInvalid as err:
        return _invalid(request, err)
    if request.method != "POST":
        if contact_request.confirmed_at is not None:
            if request.user.is_authenticated and request.user.pk == contact_request.user_id:
                return redirect("portal:ticket", pk=contact_request.ticket_id)
            return _invalid(
                request, LinkInvalid(_("This link was already used. Log in to see your request."))
            )
        return render(request, "intake/confirm.html", {"contact": contact_request})
    try:
        confirmed = services.confirm_contact(contact_request)
    except LinkInvalid as err:
        return _invalid(request, err)
    ticket_url = reverse("portal:ticket", kwargs={"pk": confirmed.ticket.pk})
    if confirmed.user is None:
        messages.info(request, _("Your request is confirmed. Log in to follow it."))
        return redirect(reverse("accounts:login") + "?" + urlencode({"next": ticket_url}))
    login(request, confirmed.user, backend=LOGIN_BACKEND)
    messages.success(request, _("Thank you, your request is confirmed."))
    return redirect(ticket_url)
