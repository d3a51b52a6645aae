"""Use cases of the emergency app: save a plan, watch the triggers, activate, drill, tick steps,
broadcast, resolve. Every state change writes a line of the activation's timeline.

Many workers may run the watcher in the same minute (FAULTS B5): the minute's `WatchRun` row is
claimed first (one worker wins the slot), and the partial unique index "one open activation per
plan" settles any race left (a clock jump, a slot run late) — the loser links tickets to the
winner's incident instead of opening a second one. Notices carry a dedupe key and each contact mail
is claimed by a keyed timeline line before it is sent, so nobody is told twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import notify
from kefu.automation import templating
from kefu.automation.errors import RuleInvalid
from kefu.automation.models import CannedReply
from kefu.core import automail
from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Ticket

from . import triggers
from .errors import BadPlan, Conflict, DrillNoReplies, PermissionDenied
from .models import (
    Activation,
    ActivationSource,
    ActivationStatus,
    EmergencyPlan,
    EntryKind,
    IncidentTicket,
    TimelineEntry,
    TriggerKind,
    WatchRun,
)

log = logging.getLogger("kefu.emergency")

MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_MULTIPLIER = 100.0
MAX_WEEKS = 12
MAX_STEPS = 50
MAX_CONTACTS = 50


@dataclass
class PlanData:
    """What a plan is made of, as a form or the API hands it over."""

    name: str
    trigger: str
    description: str = ""
    window_minutes: int = 60
    multiplier: float = 3.0
    baseline_weeks: int = 4
    min_count: int = 10
    keyword: str = ""
    channel: str = ""
    percent: float = 20.0
    cooldown_minutes: int = 60
    steps: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)
    canned_reply_id: int | None = None
    broadcast_text: str = ""
    active: bool = True


def _bad(message: str, field_name: str) -> BadPlan:
    return BadPlan(message, field=field_name)


def _check(data: PlanData, plan: EmergencyPlan | None) -> tuple[list[User], CannedReply | None]:
    """Refuse an impossible or unbounded trigger and bad contacts; returns the contacts and template."""
    data.name = (data.name or "").strip()
    if not data.name or len(data.name) > 200:
        raise _bad(_("A plan needs a name of at most 200 characters."), "name")
    clash = EmergencyPlan.objects.filter(name=data.name)
    if plan is not None:
        clash = clash.exclude(pk=plan.pk)
    if clash.exists():
        raise _bad(_("Another emergency plan already has this name."), "name")
    if data.trigger not in TriggerKind.values:
        raise _bad(_("Unknown trigger: choose volume, keyword, silence or sla_breach."), "trigger")
    if not 1 <= data.window_minutes <= MAX_WINDOW_MINUTES:
        raise _bad(_("The window must be between 1 minute and 7 days (10080 minutes)."), "window_minutes")
    if not 0 <= data.cooldown_minutes <= MAX_WINDOW_MINUTES:
        raise _bad(_("The cool-down must be between 0 and 7 days (10080 minutes)."), "cooldown_minutes")
    if data.trigger in (TriggerKind.VOLUME, TriggerKind.KEYWORD):
        if not 1 < data.multiplier <= MAX_MULTIPLIER:
            raise _bad(
                _(
                    "The multiplier must be above 1 and at most 100 (at or below 1 it would fire on a normal hour)."
                ),
                "multiplier",
            )
        if not 1 <= data.baseline_weeks <= MAX_WEEKS:
            raise _bad(_("The baseline must cover 1 to 12 weeks."), "baseline_weeks")
    if data.trigger != TriggerKind.SILENCE and not 1 <= data.min_count <= 100000:
        raise _bad(_("The minimum count must be between 1 and 100000."), "min_count")
    data.keyword = (data.keyword or "").strip()
    if data.trigger == TriggerKind.KEYWORD:
        if not data.keyword:
            raise _bad(_("A keyword surge needs a keyword."), "keyword")
        if len(data.keyword) > 50:
            raise _bad(_("The keyword may have at most 50 characters."), "keyword")
        alternatives = triggers.keyword_alternatives(data.keyword)
        if not alternatives or any(len(alt) == 1 and len(alt[0]) == 1 for alt in alternatives):
            raise _bad(
                _(
                    "The keyword needs at least two Chinese characters or one word (single characters match too much)."
                ),
                "keyword",
            )
    data.channel = (data.channel or "").strip()
    if data.trigger == TriggerKind.SILENCE:
        if data.channel not in Channel.values:
            raise _bad(_("Unknown channel: %(channel)s.") % {"channel": data.channel or "—"}, "channel")
        if data.window_minutes > 24 * 60:
            raise _bad(
                _("A channel silence is watched over at most 24 hours of working time."), "window_minutes"
            )
    elif data.channel:
        raise _bad(_("Only a channel-silence trigger takes a channel."), "channel")
    if data.trigger == TriggerKind.SLA_BREACH and not 0 <= data.percent < 100:
        raise _bad(_("The breach rate must be a percent from 0 to under 100."), "percent")
    steps = [str(s).strip() for s in data.steps or []]
    if len(steps) > MAX_STEPS or any(len(s) > 500 for s in steps):
        raise _bad(_("At most 50 steps of at most 500 characters each."), "steps")
    data.steps = [s for s in steps if s]
    emails = [str(e).strip().lower() for e in data.contact_emails or [] if str(e).strip()]
    for address in emails:
        try:
            validate_email(address)
        except ValidationError:
            raise _bad(
                _("Not an email address: %(address)s.") % {"address": address[:100]}, "contact_emails"
            ) from None
    data.contact_emails = sorted(set(emails))
    ids = sorted({int(i) for i in data.contact_ids or []})
    if any(not 0 < i < 2**62 for i in ids):
        raise _bad(_("Contacts must be staff members."), "contact_ids")
    if len(ids) + len(data.contact_emails) > MAX_CONTACTS:
        raise _bad(_("At most 50 contacts."), "contact_ids")
    contacts = list(User.objects.filter(pk__in=ids))
    if len(contacts) != len(ids) or any(not (u.is_agent or u.is_department_member) for u in contacts):
        raise _bad(_("Contacts must be staff members."), "contact_ids")
    canned = None
    if data.canned_reply_id is not None:
        canned = CannedReply.objects.filter(pk=data.canned_reply_id, active=True, owner__isnull=True).first()
        if canned is None:
            raise _bad(_("Choose an active shared reply template."), "canned_reply_id")
    data.broadcast_text = (data.broadcast_text or "").strip()
    if len(data.broadcast_text) > 5000:
        raise _bad(_("The broadcast reply may have at most 5000 characters."), "broadcast_text")
    try:
        templating.check(data.broadcast_text, field="broadcast_text")
    except RuleInvalid as err:
        raise _bad(err.message, "broadcast_text") from None
    data.description = (data.description or "").strip()[:5000]
    return contacts, canned


@transaction.atomic
def save_plan(data: PlanData, *, by: User, plan: EmergencyPlan | None = None) -> EmergencyPlan:
    """Create or update a plan; an impossible or unbounded trigger raises BadPlan (422)."""
    contacts, canned = _check(data, plan)
    plan = plan or EmergencyPlan(created_by=by)
    for name in (
        "name", "description", "trigger", "window_minutes", "multiplier", "baseline_weeks", "min_count",
        "keyword", "channel", "percent", "cooldown_minutes", "steps", "contact_emails", "broadcast_text",
        "active",
    ):  # fmt: skip
        setattr(plan, name, getattr(data, name))
    plan.canned_reply = canned
    plan.save()
    plan.contacts.set(contacts)
    return plan


# --------------------------------------------------------------------------- timeline


def _entry(
    activation: Activation,
    kind: str,
    text: str,
    *,
    by: User | None = None,
    key: str = "",
    at: datetime | None = None,
) -> bool:
    """Write a timeline line; with a key, only once (returns False when it was there already)."""
    try:
        with transaction.atomic():
            TimelineEntry.objects.create(
                activation=activation, kind=kind, key=key, text=text[:500], by=by, at=at or now()
            )
    except IntegrityError:
        if not key:
            raise
        return False
    return True


def _url(activation: Activation) -> str:
    return reverse("emergency:activation", args=[activation.pk])


# --------------------------------------------------------------------------- activation


def _open(plan: EmergencyPlan, *, drill: bool) -> Activation | None:
    return Activation.objects.filter(plan=plan, is_drill=drill, status=ActivationStatus.OPEN).first()


def _start(
    plan: EmergencyPlan,
    *,
    source: str,
    by: User | None,
    reading: triggers.Reading | None,
    note: str = "",
    at: datetime,
) -> Activation | None:
    """The new activation, or None when one is open already (another worker, another click)."""
    drill = source == ActivationSource.DRILL
    summary = reading.text if reading is not None else note
    try:
        with transaction.atomic():
            activation = Activation.objects.create(
                plan=plan,
                source=source,
                is_drill=drill,
                figures=reading.figures if reading is not None else {},
                summary=summary[:300],
                started_by=by,
                started_at=at,
            )
    except IntegrityError:
        return None
    if source == ActivationSource.TRIGGER:
        _entry(activation, EntryKind.FIRED, summary, at=at)
    else:
        text = _("Drill started by %(name)s.") if drill else _("Activated by hand by %(name)s.")
        text = text % {"name": by.name if by else "kefu"}
        _entry(activation, EntryKind.STARTED, f"{text} {note}".strip(), by=by, at=at)
    if not drill:
        _link(
            activation, triggers.incident_tickets(plan, at - timedelta(minutes=plan.window_minutes), at), at
        )
    return activation


def _link(activation: Activation, ids: Sequence[int], at: datetime) -> int:
    if not ids:
        return 0
    before = IncidentTicket.objects.filter(activation=activation).count()
    IncidentTicket.objects.bulk_create(
        [IncidentTicket(activation=activation, ticket_id=pk, linked_at=at) for pk in ids],
        ignore_conflicts=True,
    )
    added = IncidentTicket.objects.filter(activation=activation).count() - before
    if added > 0:
        _entry(
            activation,
            EntryKind.LINKED,
            _("%(count)d new tickets linked to the incident.") % {"count": added},
            at=at,
        )
    return max(added, 0)


def notify_contacts(activation: Activation) -> int:
    """Tell the plan's contacts (a notice for staff, a mail for addresses); each once. Returns how
    many were told now."""
    plan = activation.plan
    kind = _("Drill") if activation.is_drill else _("Emergency")
    text = f"[{kind}] {plan.name}: {activation.summary}"
    users = list(plan.contacts.all())
    told = notify(
        users, kind="emergency", text=text, url=_url(activation), dedupe_key=f"emergency:{activation.pk}"
    )
    names = [u.name for u in users]
    mailed = 0
    for address in plan.contact_emails or []:
        if not _entry(
            activation, EntryKind.NOTIFIED, _("Mail sent to %(to)s.") % {"to": address}, key=f"mail:{address}"
        ):
            continue
        try:
            automail.send_templated(
                to=address,
                language=settings.LANGUAGE_CODE,
                template="emergency/mail/activated",
                context={
                    "plan": plan,
                    "activation": activation,
                    "kind": kind,
                    "company": settings.KEFU_COMPANY,
                },
            )
        except Exception:
            TimelineEntry.objects.filter(activation=activation, key=f"mail:{address}").delete()
            log.exception(
                "emergency mail to %s for activation %s not sent; will retry", address, activation.pk
            )
            continue
        mailed += 1
    if told:
        _entry(
            activation,
            EntryKind.NOTIFIED,
            _("Contacts notified: %(names)s.") % {"names": "、".join(names)},
            key="notified:users",
        )
    return told + mailed


def activate(plan: EmergencyPlan, *, by: User, drill: bool = False, note: str = "") -> Activation:
    """Start an activation by hand, or a drill (marked as one; a drill never writes to customers)."""
    with transaction.atomic():
        activation = _start(
            plan,
            source=ActivationSource.DRILL if drill else ActivationSource.MANUAL,
            by=by,
            reading=None,
            note=note.strip()[:200],
            at=now(),
        )
    if activation is None:
        raise Conflict(
            _("A drill of this plan is already open.")
            if drill
            else _("This plan already has an open incident."),
            code="already_open",
        )
    notify_contacts(activation)
    return activation


def resolve(activation: Activation, *, by: User, note: str = "") -> Activation:
    with transaction.atomic():
        at = now()
        done = Activation.objects.filter(pk=activation.pk, status=ActivationStatus.OPEN).update(
            status=ActivationStatus.RESOLVED, resolved_at=at, resolved_by=by
        )
        if not done:
            raise Conflict(_("This activation is already resolved."), code="already_resolved")
        text = _("Resolved by %(name)s.") % {"name": by.name}
        _entry(
            activation,
            EntryKind.RESOLVED,
            f"{text} {note.strip()[:200]}".strip(),
            by=by,
            key="resolved",
            at=at,
        )
    activation.refresh_from_db()
    return activation


def tick_step(activation: Activation, *, index: int, by: User) -> bool:
    """Tick step `index` of the checklist; ticking it again changes nothing (returns False)."""
    steps = activation.plan.steps or []
    if not 0 <= index < len(steps):
        raise BadPlan(_("No such step."), field="step")
    if activation.status != ActivationStatus.OPEN:
        raise Conflict(_("This activation is already resolved."), code="already_resolved")
    text = _("Step %(n)d done: %(step)s") % {"n": index + 1, "step": steps[index]}
    return _entry(activation, EntryKind.STEP, text, by=by, key=f"step:{index}")


def broadcast_body(plan: EmergencyPlan) -> str:
    if plan.canned_reply_id and plan.canned_reply is not None and plan.canned_reply.active:
        return plan.canned_reply.body
    return plan.broadcast_text


def broadcast(activation: Activation, *, by: User) -> int:
    """Send the plan's broadcast reply to every linked ticket that has not had it (each ticket once,
    through the tickets' reply service). Returns how many were sent now."""
    if activation.is_drill:
        raise DrillNoReplies(_("A drill sends no replies to customers."))
    if not by.is_agent:
        raise PermissionDenied(_("Only staff can send the broadcast reply."))
    body = broadcast_body(activation.plan)
    if not body.strip():
        raise BadPlan(_("This plan has no broadcast reply."), field="broadcast_text")
    sent, failed = 0, 0
    pending = IncidentTicket.objects.filter(activation=activation, replied_at__isnull=True).select_related(
        "ticket", "ticket__customer", "ticket__assignee"
    )
    for link in list(pending):
        try:
            with transaction.atomic():
                if not IncidentTicket.objects.filter(pk=link.pk, replied_at__isnull=True).update(
                    replied_at=now()
                ):
                    continue  # another click or worker sent it
                ticket: Ticket = link.ticket
                text = templating.render(body, templating.context_for(ticket, agent=by)).strip()
                tickets.reply(ticket, body=text, by=by, automated=True)
        except DomainError:
            failed += 1
            continue
        sent += 1
    if sent or failed:
        with transaction.atomic():
            Activation.objects.filter(pk=activation.pk, broadcast_at__isnull=True).update(broadcast_at=now())
            text = _("Broadcast reply sent to %(count)d tickets by %(name)s.") % {
                "count": sent,
                "name": by.name,
            }
            if failed:
                text += " " + _("%(count)d could not take it (merged or closed).") % {"count": failed}
            _entry(activation, EntryKind.BROADCAST, text, by=by)
    return sent


# --------------------------------------------------------------------------- the watcher


def watch(*, at: datetime | None = None) -> int:
    """The minute's watch over every active plan; returns how many activations it opened. Only the
    first worker of a minute runs it (the WatchRun slot); the others return 0 at once."""
    at = at or now()
    slot = at.replace(second=0, microsecond=0).isoformat()[:16]
    try:
        with transaction.atomic():
            WatchRun.objects.create(slot=slot)
    except IntegrityError:
        return 0
    WatchRun.objects.filter(created_at__lt=at - timedelta(days=2)).delete()
    opened = 0
    for plan in EmergencyPlan.objects.filter(active=True).order_by("pk"):
        try:
            if watch_plan(plan, at=at) is not None:
                opened += 1
        except Exception:  # one broken plan must not stop the others
            log.exception("emergency plan %s could not be watched", plan.pk)
    return opened


def watch_plan(plan: EmergencyPlan, *, at: datetime) -> Activation | None:
    """One plan at `at`: link new tickets to its open incident, or fire a new one (unless it is
    cooling down after the last one was resolved). Returns the activation it opened, if any."""
    current = _open(plan, drill=False)
    if current is not None:
        with transaction.atomic():
            since = current.started_at - timedelta(minutes=plan.window_minutes)
            _link(current, triggers.incident_tickets(plan, since, at), at)
        return None
    last = (
        Activation.objects.filter(plan=plan, is_drill=False, resolved_at__isnull=False)
        .order_by("-resolved_at")
        .first()
    )
    if (
        last is not None
        and last.resolved_at
        and last.resolved_at > at - timedelta(minutes=plan.cooldown_minutes)
    ):
        return None
    reading = triggers.read(plan, at)
    if not reading.fired:
        return None
    with transaction.atomic():
        activation = _start(plan, source=ActivationSource.TRIGGER, by=None, reading=reading, at=at)
    if activation is not None:
        notify_contacts(activation)
    return activation
