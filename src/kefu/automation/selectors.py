"""Read queries of the automation app. Items another agent owns are "not found", like missing ones."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .errors import NotFound
from .models import CannedReply, Macro, TriggerRun, Webhook, WebhookDelivery

SEARCH_LIMIT = 20


def visible_canned_replies(user: Any) -> QuerySet[CannedReply]:
    """Shared replies and the user's own; nothing for non-agents."""
    if not getattr(user, "is_authenticated", False) or not user.is_agent:
        return CannedReply.objects.none()
    return CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))


def access_canned_reply(user: Any, pk: int | str) -> CannedReply:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound("Canned reply not found.")
    item = visible_canned_replies(user).filter(pk=key).first()
    if item is None:
        raise NotFound("Canned reply not found.")
    return item


def search_canned_replies(
    user: Any, query: str = "", *, category: str = "", language: str = "", limit: int = SEARCH_LIMIT
) -> list[CannedReply]:
    qs = visible_canned_replies(user).filter(active=True)
    for word in (query or "").split()[:5]:
        word = word[:50]
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word) | Q(category__icontains=word))
    if category:
        qs = qs.filter(category=category[:100])
    if language:
        qs = qs.filter(language=language[:10])
    return list(qs.order_by("-usage_count", "category", "title", "id")[:limit])


def list_categories(user: Any) -> list[str]:
    return sorted(set(visible_canned_replies(user).exclude(category="").values_list("category", flat=True)))


def manageable_macros(user: Any) -> QuerySet[Macro]:
    """Shared and own macros, active or not (the management list)."""
    if not getattr(user, "is_authenticated", False) or not user.is_agent:
        return Macro.objects.none()
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user))


def visible_macros(user: Any) -> QuerySet[Macro]:
    if not getattr(user, "is_authenticated", False) or not user.is_agent:
        return Macro.objects.none()
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user), active=True)


def access_macro(user: Any, pk: int | str) -> Macro:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound("Macro not found.")
    item = visible_macros(user).filter(pk=key).first()
    if item is None:
        raise NotFound("Macro not found.")
    return item


def recent_runs(limit: int = 50) -> list[TriggerRun]:
    return list(TriggerRun.objects.select_related("trigger")[:limit])


def list_webhooks() -> list[Webhook]:
    return list(Webhook.objects.all())


def recent_deliveries(limit: int = 50) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.select_related("webhook")[:limit])
