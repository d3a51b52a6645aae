"""Agent assist: articles suggested for a ticket's conversation (staff: internal articles too)."""

from __future__ import annotations

from typing import Any

from .models import Article
from .search import store
from .states import Status

QUERY_CHARS = 600


def ticket_query(ticket: Any) -> str:
    """The subject and the customer's latest public messages."""
    texts = list(
        ticket.messages.filter(kind="public", from_customer=True)
        .order_by("-created_at")
        .values_list("body_text", flat=True)[:3]
    )
    return f"{ticket.subject} {' '.join(reversed(texts))}"[:QUERY_CHARS]


def suggest_for_ticket(ticket: Any, *, limit: int = 3) -> list[tuple[Article, float]]:
    index = store.get_index()
    result = index.search(ticket_query(ticket), public_only=False, limit=limit)
    rows = Article.objects.in_bulk([h.id for h in result.hits])
    out = []
    for hit in result.hits:
        article = rows.get(hit.id)
        if article is not None and article.status == Status.PUBLISHED:
            out.append((article, hit.score))
    return out
