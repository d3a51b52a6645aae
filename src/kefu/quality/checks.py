"""Automatic checks of agent replies (computed when a review is opened, stored and counted per agent).

- forbidden: the reply contains a phrase of the configured list (不知道, 没办法…).
- template (机械套模板): on a complex case (config.py: type, priority, or many agent replies, or a
  recorded complaint) the reply is nothing but an active canned reply or a macro's reply text, with
  only its {{ variables }} filled in.
- no_greeting: the agent's first reply on the ticket does not open with a greeting phrase (within
  its first GREETING_WINDOW characters).
- no_closing: the agent's last reply on a solved or closed ticket does not end with a closing phrase
  (within its last CLOSING_WINDOW characters).

Only replies written by people count (public, not from the customer, not the kefu bot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from kefu.accounts.models import SYSTEM_USERNAME
from kefu.automation.models import CannedReply, Macro
from kefu.care.models import Complaint
from kefu.core.clock import now
from kefu.tickets.models import Message, MessageKind, Ticket
from kefu.tickets.states import DONE_STATUSES

from . import config
from .models import CheckKind, CheckSettings, ReplyCheck

GREETING_WINDOW = 40
CLOSING_WINDOW = 80
_VARIABLE = re.compile(r"\{\{\s*\w+\s*\}\}")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Standard:
    forbidden: tuple[str, ...]
    greetings: tuple[str, ...]
    closings: tuple[str, ...]
    require_greeting: bool
    require_closing: bool


def standard() -> Standard:
    row = CheckSettings.objects.order_by("pk").first()
    if row is None:
        return Standard(
            tuple(config.get("forbidden")),
            tuple(config.get("greetings")),
            tuple(config.get("closings")),
            True,
            True,
        )
    return Standard(
        tuple(row.forbidden_phrases),
        tuple(row.greeting_phrases),
        tuple(row.closing_phrases),
        row.require_greeting,
        row.require_closing,
    )


def _squash(text: str) -> str:
    return _SPACE.sub("", text or "").lower()


def template_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(title, full-match pattern) for every active canned reply and every macro reply text."""
    bodies: list[tuple[str, str]] = [
        (title, body) for title, body in CannedReply.objects.filter(active=True).values_list("title", "body")
    ]
    canned_by_id = dict(CannedReply.objects.values_list("pk", "body"))
    for name, actions in Macro.objects.filter(active=True).values_list("name", "actions"):
        for action in actions or []:
            if isinstance(action, dict) and action.get("type") == "reply":
                body = action.get("body") or canned_by_id.get(action.get("canned_reply"), "")
                if body:
                    bodies.append((name, body))
    patterns = []
    for title, body in bodies:
        parts = _VARIABLE.split(_squash(body))
        if not "".join(parts):
            continue
        patterns.append((title, re.compile(".{0,80}?".join(re.escape(p) for p in parts), re.DOTALL)))
    return patterns


def is_complex(ticket: Ticket, agent_replies: int) -> bool:
    return (
        ticket.type in config.get("complex_types")
        or ticket.priority in config.get("complex_priorities")
        or agent_replies >= int(config.get("complex_min_replies"))
        or Complaint.objects.filter(ticket=ticket).exists()
    )


def agent_replies(ticket: Ticket) -> list[Message]:
    return list(
        Message.objects.filter(
            ticket=ticket, kind=MessageKind.PUBLIC, from_customer=False, author__isnull=False
        )
        .exclude(author__username=SYSTEM_USERNAME)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def findings(ticket: Ticket, replies: list[Message], std: Standard) -> list[ReplyCheck]:
    """What the checks find in these replies (unsaved rows)."""
    found: list[ReplyCheck] = []
    at = now()

    def add(message: Message, kind: str, detail: str = "") -> None:
        found.append(
            ReplyCheck(
                message=message,
                ticket=ticket,
                agent_id=message.author_id,
                kind=kind,
                detail=detail[:300],
                created_at=at,
            )
        )

    patterns = template_patterns() if replies and is_complex(ticket, len(replies)) else []
    for message in replies:
        text = message.body_text or ""
        lowered = text.lower()
        hits = [p for p in std.forbidden if p and p.lower() in lowered]
        if hits:
            add(message, CheckKind.FORBIDDEN, "、".join(hits))
        squashed = _squash(text)
        for title, pattern in patterns:
            if squashed and pattern.fullmatch(squashed):
                add(message, CheckKind.TEMPLATE, title)
                break
    if replies and std.require_greeting:
        opening = _squash(replies[0].body_text)[:GREETING_WINDOW]
        if not any(_squash(g) and _squash(g) in opening for g in std.greetings):
            add(replies[0], CheckKind.NO_GREETING)
    if replies and std.require_closing and ticket.status in DONE_STATUSES:
        ending = _squash(replies[-1].body_text)[-CLOSING_WINDOW:]
        if not any(_squash(c) and _squash(c) in ending for c in std.closings):
            add(replies[-1], CheckKind.NO_CLOSING)
    return found


@transaction.atomic
def run(ticket: Ticket) -> list[ReplyCheck]:
    """Check the ticket's agent replies and store the findings (idempotent: the stored rows become
    exactly what the current standard finds)."""
    replies = agent_replies(ticket)
    found = findings(ticket, replies, standard())
    wanted = {(f.message_id, f.kind) for f in found}
    stale = [
        pk
        for pk, message_id, kind in ReplyCheck.objects.filter(ticket=ticket).values_list(
            "pk", "message_id", "kind"
        )
        if (message_id, kind) not in wanted
    ]
    if stale:
        ReplyCheck.objects.filter(pk__in=stale).delete()
    ReplyCheck.objects.bulk_create(found, ignore_conflicts=True)
    return list(ReplyCheck.objects.filter(ticket=ticket).order_by("message_id", "kind"))


def save_standard(
    *,
    forbidden: Iterable[str],
    greetings: Iterable[str],
    closings: Iterable[str],
    require_greeting: bool,
    require_closing: bool,
) -> CheckSettings:
    def clean(values: Iterable[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            text = str(value or "").strip()[:50]
            if text and text not in out:
                out.append(text)
        return out[:200]

    row = CheckSettings.objects.order_by("pk").first() or CheckSettings()
    row.forbidden_phrases, row.greeting_phrases, row.closing_phrases = (
        clean(forbidden),
        clean(greetings),
        clean(closings),
    )
    row.require_greeting, row.require_closing = bool(require_greeting), bool(require_closing)
    row.save()
    return row
