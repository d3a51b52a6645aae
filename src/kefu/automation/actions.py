"""Carry out validated actions on one ticket, through the tickets services (they write the events).

Field changes are gathered into one `update_ticket` call with the caller's version (compare-and-set):
a macro applied from a stale page fails as a whole with StaleVersion before anything is written.
Then the notes, replies, shares, notifications and webhook calls follow in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kefu.accounts.models import SYSTEM_USERNAME, Department, Role, Team, User
from kefu.accounts.services import notify, system_user
from kefu.core.clock import now
from kefu.tickets import services as tickets
from kefu.tickets.errors import StaleVersion
from kefu.tickets.models import Category, Message, MessageKind, Ticket

from . import templating

log = logging.getLogger("kefu.automation")
BOT_USERNAME = SYSTEM_USERNAME
FIELD_ACTIONS = {
    "set_priority": "priority",
    "set_type": "type",
    "set_status": "status",
    "set_team": "team",
    "set_category": "category",
    "assign": "assignee",
}


def bot() -> User:
    """The system user automated changes are made by (accounts.services.system_user)."""
    return system_user()


def _field_changes(ticket: Ticket, actions: list[dict[str, Any]]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    tags: set[str] | None = None
    for action in actions:
        kind = action["type"]
        if kind in FIELD_ACTIONS:
            name, value = FIELD_ACTIONS[kind], action.get("value")
            if kind == "set_team":
                value = Team.objects.filter(name=value).first() if value else None
            elif kind == "set_category":
                value = Category.objects.filter(pk=value).first() if value else None
            elif kind == "assign":
                value = User.objects.filter(username=value).first() if value else None
            changes[name] = value
        elif kind in ("add_tags", "remove_tags"):
            if tags is None:
                tags = set(ticket.tags.values_list("name", flat=True))
            if kind == "add_tags":
                tags |= set(action["value"])
            else:
                tags -= set(action["value"])
    if tags is not None:
        changes["tags"] = sorted(tags)
    return changes


def _reply_throttled(ticket: Ticket, by: User) -> bool:
    """At most one automated public reply per ticket per interval: the customer's auto-responder and
    our trigger must not ping-pong (each inbound mail starts a new trigger chain)."""
    if by.username != BOT_USERNAME:
        return False
    minutes = int(getattr(settings, "KEFU_AUTOMATION_REPLY_INTERVAL_MINUTES", 10))
    recent = Message.objects.filter(
        ticket_id=ticket.pk,
        author=by,
        kind=MessageKind.PUBLIC,
        created_at__gte=now() - timedelta(minutes=minutes),
    ).exists()
    if recent:
        log.warning(
            "automated reply on ticket %s skipped: one was sent in the last %d minutes", ticket.pk, minutes
        )
    return recent


def _recipients(ticket: Ticket, to: str) -> list[User]:
    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "team_lead":
        team = Team.objects.select_related("lead").filter(pk=ticket.team_id).first()
        if team and team.lead_id:
            return [team.lead]
        return list(User.objects.filter(role__in=[Role.SUPERVISOR], is_active=True))
    if to == "team":
        return list(User.objects.filter(teams=ticket.team_id, is_active=True)) if ticket.team_id else []
    return list(User.objects.filter(role__in=[Role.SUPERVISOR], is_active=True))  # supervisors


@transaction.atomic
def apply(
    ticket: Ticket,
    actions: list[dict[str, Any]],
    *,
    by: User,
    version: int | None = None,
    dedupe: str = "",
    source: str = "",
    throttle_replies: bool = False,
) -> Ticket:
    """Run `actions` on `ticket` as `by`; `version` (a page's) makes the whole set compare-and-set.

    `throttle_replies` (triggers): skip an automated public reply if one went out very recently."""
    from .models import CannedReply
    from .webhooks import enqueue

    ticket = Ticket.objects.select_related("customer", "assignee", "team").get(pk=ticket.pk)
    changes = _field_changes(ticket, actions)
    ticket = tickets.update_ticket(ticket, by=by, version=version, **changes)
    sender = by if by.username != BOT_USERNAME else (ticket.assignee or by)
    context = templating.context_for(ticket, agent=sender)
    for action in actions:
        kind = action["type"]
        if kind == "add_note":
            tickets.add_note(ticket, body=templating.render(action["body"], context), by=by)
        elif kind == "reply":
            body = action.get("body", "")
            if action.get("canned_reply"):
                canned = CannedReply.objects.filter(pk=action["canned_reply"]).first()
                body = canned.body if canned else ""
            text = templating.render(body, context).strip()
            if text and not (throttle_replies and _reply_throttled(ticket, by)):
                tickets.reply(ticket, body=text, by=by, automated=by.username == BOT_USERNAME)
        elif kind == "share":
            department = Department.objects.filter(name=action["value"]).first()
            if department is not None:
                tickets.share_with_department(ticket, department=department, by=by)
        elif kind == "notify":
            text = f"{ticket.number} {templating.render(action['text'], context)}"
            notify(
                _recipients(ticket, action["to"]),
                kind="automation",
                text=text,
                url=reverse("agent:ticket", args=[ticket.pk]),
                dedupe_key=f"automation:{dedupe}:{action['to']}" if dedupe else "",
            )
        elif kind == "webhook":
            enqueue(action["webhook"], ticket=ticket, event=source or "automation")
    ticket.refresh_from_db()
    return ticket


def apply_current(
    ticket: Ticket,
    actions: list[dict[str, Any]],
    *,
    by: User,
    dedupe: str = "",
    source: str = "",
    throttle_replies: bool = False,
) -> Ticket:
    """For automation (no page version): re-read and retry when someone changed the ticket meanwhile."""
    attempts = 3
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return apply(
                    ticket, actions, by=by, dedupe=dedupe, source=source, throttle_replies=throttle_replies
                )
        except StaleVersion:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
