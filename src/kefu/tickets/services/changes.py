"""Changing a ticket's fields, with compare-and-set on its version."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.tickets.errors import InvalidTransition, StaleVersion, ValidationFailed
from kefu.tickets.models import (
    EventKind,
    Priority,
    Tag,
    Ticket,
    TicketType,
)
from kefu.tickets.services.common import (
    SUBJECT_MAX,
    _check_text,
    _event,
    reindex,
)
from kefu.tickets.states import DONE_STATUSES, Status, can_transition

# --------------------------------------------------------------------------- field changes


def _stale(ticket: Ticket) -> StaleVersion:
    from kefu.tickets.selectors import last_change

    fresh = Ticket.objects.filter(pk=ticket.pk).values("version").first() or {"version": 0}
    change = last_change(ticket)
    who = change.actor.name if change and change.actor else _("someone")
    when = date_format(localtime(change.created_at), "H:i") if change else ""
    return StaleVersion(
        _("This ticket was changed by %(who)s at %(when)s. Reload to see the new state.")
        % {"who": who, "when": when},
        field="version",
        current_version=fresh["version"],
        changed_by=who,
        changed_at=when,
    )


EDITABLE = ("status", "priority", "type", "category", "assignee", "team", "subject", "tags")


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.name
    return str(value)


@transaction.atomic
def update_ticket(
    ticket: Ticket, *, by: User, version: int | None, customer_action: bool = False, **changes: Any
) -> Ticket:
    """Change fields with compare-and-set on `version`: a stale edit raises StaleVersion, never overwrites.

    `changes` takes status, priority, type, category (Category|None), assignee (User|None),
    team (Team|None), subject, tags (list of names). Only real differences are written.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    if version is None:
        version = ticket.version
    elif version != ticket.version:
        # A form loaded before someone else's change is judged against the state its author saw:
        # answer the conflict first, not a transition error computed from the newer state.
        raise _stale(ticket)
    updates: dict[str, Any] = {}
    log: list[tuple[str, str, Any, Any]] = []
    tags = changes.pop("tags", None)
    for name, value in changes.items():
        old = getattr(ticket, name)
        if name == "status":
            if value not in Status.values:
                raise ValidationFailed(_("Unknown status."), field="status")
            if value == old:
                continue
            if not can_transition(old, value, customer=customer_action):
                raise InvalidTransition(
                    _("A ticket cannot go from %(old)s to %(new)s.")
                    % {"old": Status(old).label, "new": Status(value).label},
                    field="status",
                )
            updates["status"] = value
            current = now()
            if value == Status.SOLVED:
                updates["solved_at"] = current
            elif value == Status.CLOSED:
                updates["closed_at"] = current
                if not ticket.solved_at:
                    updates["solved_at"] = current
            elif old in DONE_STATUSES:
                updates["solved_at"] = None
                updates["closed_at"] = None
            log.append((EventKind.CHANGED, name, old, value))  # raw values; labels are shown per reader
            continue
        if name == "priority" and value not in Priority.values:
            raise ValidationFailed(_("Unknown priority."), field="priority")
        if name == "type" and value not in TicketType.values:
            raise ValidationFailed(_("Unknown ticket type."), field="type")
        if name == "subject":
            value = _check_text(value, field="subject", maximum=SUBJECT_MAX)
        if name == "assignee" and value is not None and not value.is_agent:
            raise ValidationFailed(_("Tickets can only be assigned to agents."), field="assignee")
        if value == old:
            continue
        updates[name] = value
        kind = EventKind.ASSIGNED if name == "assignee" else EventKind.CHANGED
        log.append((kind, name, _display(old), _display(value)))
    if not updates and tags is None:
        return ticket
    updates["version"] = F("version") + 1
    updates["updated_at"] = now()
    won = Ticket.objects.filter(pk=ticket.pk, version=version).update(**updates)
    if not won:
        raise _stale(ticket)
    for kind, name, old, new in log:
        _event(ticket, kind, by=by, field=name, old=old, new=new)
    if tags is not None:
        names = sorted({t.strip()[:50] for t in tags if t and t.strip()})
        before = sorted(ticket.tags.values_list("name", flat=True))
        if names != before:
            ticket.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])
            _event(
                ticket, EventKind.CHANGED, by=by, field="tags", old=", ".join(before), new=", ".join(names)
            )
    ticket.refresh_from_db()
    if "subject" in updates:
        reindex([ticket.pk])
    return ticket


def assign(ticket: Ticket, *, to: User | None, by: User, version: int | None = None) -> Ticket:
    return update_ticket(ticket, by=by, version=version, assignee=to)


def change_status(ticket: Ticket, *, to: str, by: User, version: int | None = None) -> Ticket:
    return update_ticket(ticket, by=by, version=version, customer_action=not by.is_agent, status=to)
