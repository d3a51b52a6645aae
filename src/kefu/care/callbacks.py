"""Callbacks (回访): a seeded monthly sample of solved tickets plus every complex case closed by email.

The sample is a hash of (seed, month, ticket id) below `callback_percent`: the same month always
picks the same tickets, whatever else was solved or when the job runs, and (ticket, month) is
unique, so a re-run creates nothing twice. A complex case (config.py) closed by email is always
called back. An outcome is recorded once (compare-and-set on the empty outcome); "problem persists"
reopens the ticket to its owner through tickets.services, with a note.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, MessageKind, Ticket
from kefu.tickets.states import DONE_STATUSES, Status

from . import config, periods
from .errors import AlreadyWorked, BadOutcome
from .models import Callback, CallbackReason, Outcome


def sampled(ticket_id: int, period: str) -> bool:
    """Whether the seeded sample of `period` picks this ticket."""
    digest = hashlib.sha256(f"{config.get('callback_seed')}:{period}:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100 < float(config.get("callback_percent"))


def _complex() -> Q:
    return (
        Q(type__in=list(config.get("complex_types")))
        | Q(priority__in=list(config.get("complex_priorities")))
        | Q(agent_replies__gte=int(config.get("complex_min_replies")))
    )


def script_for(ticket: Ticket, reason: str) -> str:
    if reason == CallbackReason.COMPLEX:
        return _(
            "Hello, this is customer service. We recently handled your case %(n)s (%(s)s) by email. "
            "Was it solved to your satisfaction? Is anything still open?"
        ) % {"n": ticket.number, "s": ticket.subject}
    return _(
        "Hello, this is customer service calling back about %(n)s (%(s)s). "
        "Are you satisfied with how we handled it? Is there anything else we can do?"
    ) % {"n": ticket.number, "s": ticket.subject}


@transaction.atomic
def generate(*, period: str) -> int:
    """Callbacks for the tickets solved in `period` ("YYYY-MM"); returns how many were created."""
    first = periods.parse(period)
    period = periods.name(first)
    since, until = periods.bounds(first)
    solved = Ticket.objects.filter(
        solved_at__gte=since, solved_at__lt=until, status__in=DONE_STATUSES, merged_into__isnull=True
    ).annotate(
        agent_replies=Count(
            "messages", filter=Q(messages__from_customer=False, messages__kind=MessageKind.PUBLIC)
        )
    )
    complex_ids = set(solved.filter(_complex(), channel=Channel.EMAIL).values_list("pk", flat=True))
    rows = solved.values_list("pk", "assignee_id", "first_contact_owner_id")
    done = set(Callback.objects.filter(period=period).values_list("ticket_id", flat=True))
    wanted: list[tuple[int, str, int | None]] = []
    for pk, assignee, owner in rows:
        if pk in done:
            continue
        if pk in complex_ids:
            wanted.append((pk, CallbackReason.COMPLEX, assignee or owner))
        elif sampled(pk, period):
            wanted.append((pk, CallbackReason.SAMPLE, assignee or owner))
    found = Ticket.objects.in_bulk([pk for pk, _r, _a in wanted])
    created = Callback.objects.bulk_create(
        [
            Callback(
                ticket_id=pk,
                period=period,
                reason=reason,
                assignee_id=assignee,
                script=script_for(found[pk], reason),
            )
            for pk, reason, assignee in wanted
        ],
        ignore_conflicts=True,
    )
    return len(created)


def check_outcome(outcome: str) -> str:
    if outcome not in Outcome.values:
        raise BadOutcome(
            _("Unknown outcome. Allowed: %(allowed)s") % {"allowed": ", ".join(Outcome.values)},
            field="outcome",
        )
    return outcome


@transaction.atomic
def work(callback: Callback, *, outcome: str, notes: str = "", by: User) -> Callback:
    """Record the outcome once; a second outcome (a concurrent one included) is AlreadyWorked."""
    check_outcome(outcome)
    notes = (notes or "").strip()[:4000]
    won = Callback.objects.filter(pk=callback.pk, outcome="").update(
        outcome=outcome, notes=notes, worked_by=by, worked_at=now()
    )
    if not won:
        raise AlreadyWorked(_("This callback already has an outcome."), field="outcome")
    callback.refresh_from_db()
    if outcome == Outcome.PROBLEM_PERSISTS:
        _reopen(callback, notes=notes, by=by)
    return callback


def _reopen(callback: Callback, *, notes: str, by: User) -> None:
    ticket = Ticket.objects.get(pk=callback.ticket_id)
    owner = ticket.assignee or ticket.first_contact_owner
    changes: dict[str, object] = {}
    if ticket.status in DONE_STATUSES:
        changes["status"] = Status.OPEN
    if owner is not None and owner.is_agent and owner.pk != ticket.assignee_id:
        changes["assignee"] = owner
    if changes:
        ticket = tickets.update_ticket(ticket, by=by, version=None, **changes)
    tickets.add_note(
        ticket,
        body=_("Callback (回访): the problem persists. %(notes)s") % {"notes": notes},
        by=by,
    )
