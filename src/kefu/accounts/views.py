"""Account pages: personal API tokens (the secret is shown once, only its hash is kept)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.clock import now

from .models import ApiToken
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
