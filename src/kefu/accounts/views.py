"""Account pages: personal API tokens (the secret is shown once, only its hash is kept), forgotten passwords."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.clock import now

from .models import ApiToken
from .recovery import request_password_reset
from .selectors import list_notifications
from .services import create_api_token, mark_notifications_read, revoke_api_token


def _page(request: HttpRequest, *, status: int = 200, **extra: object) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    context = {"tokens": tokens, "now": now(), "expiry_days": ("30", "90", "365"), **extra}
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "").strip()
    days = request.POST.get("expires_in_days", "")
    if not name or len(name) > 100:
        return _page(
            request, status=422, error=_("Give the token a name of at most 100 characters."), name=name[:100]
        )
    if days and days not in ("30", "90", "365"):
        return _page(request, status=422, error=_("Choose an expiry from the list."), name=name)
    expires_at = now() + timedelta(days=int(days)) if days else None
    token, secret = create_api_token(user=request.user, name=name, expires_at=expires_at)
    # Rendered, not redirected: the secret exists only in this response and is never stored.
    response = _page(request, status=201, new_token=token, new_secret=secret)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:  # someone else's token looks exactly like a missing one
        raise Http404
    revoke_api_token(token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked. It no longer works.") % {"name": token.name})
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notices, newest first; POST marks them all read."""
    if request.method == "POST":
        mark_notifications_read(request.user)
        return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {"items": list_notifications(request.user)})


# --------------------------------------------------------------------------- forgotten password


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email", "autofocus": True}),
    )


@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The socket address, never a client-sent header (FAULTS X4).
        request_password_reset(form.cleaned_data["email"], ip=request.META.get("REMOTE_ADDR", ""))
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=422 if form.errors else 200)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class SetNewPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return form


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
