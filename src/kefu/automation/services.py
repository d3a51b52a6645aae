"""Use cases of the automation app: save canned replies, triggers, time rules, macros and webhooks
(validated at save), and apply a macro. Each is one transaction with an explicit actor `by`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.tickets.models import Ticket

from . import actions, rules, templating, webhooks
from .errors import NotFound, PermissionDenied, RuleInvalid
from .models import (
    CannedReply,
    Language,
    Macro,
    Match,
    TimeRule,
    TimeRuleKind,
    Trigger,
    TriggerEvent,
    Webhook,
)

TITLE_MAX = 200
BODY_MAX = 10_000


def is_supervisor(user: Any) -> bool:
    return bool(
        getattr(user, "is_active", False) and getattr(user, "role", "") in (Role.SUPERVISOR, Role.ADMIN)
    )


def require_supervisor(user: Any) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("Only supervisors can change automation rules."))


def can_edit_owned(user: Any, owner_id: int | None) -> bool:
    """Personal items: their owner. Shared items (no owner): supervisors."""
    if owner_id is None:
        return is_supervisor(user)
    return bool(getattr(user, "is_agent", False) and user.pk == owner_id)


def _name(value: str, *, field: str = "title", maximum: int = TITLE_MAX) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        raise RuleInvalid(_("This field is required."), field=field)
    if len(value) > maximum:
        raise RuleInvalid(_("Too long: at most %(n)d characters.") % {"n": maximum}, field=field)
    return value


# --------------------------------------------------------------------------- canned replies


@transaction.atomic
def save_canned_reply(
    *,
    by: User,
    title: str,
    body: str,
    category: str = "",
    language: str = Language.ZH_HANS,
    shared: bool = False,
    reply: CannedReply | None = None,
    active: bool = True,
) -> CannedReply:
    """Create (reply=None) or update a canned reply. Unknown variables are refused here."""
    if not by.is_agent:
        raise PermissionDenied(_("Only agents can write canned replies."))
    if reply is not None and not can_edit_owned(by, reply.owner_id):
        raise NotFound(_("Canned reply not found."))
    owner = None if shared else (reply.owner if reply is not None and reply.owner_id else by)
    if not can_edit_owned(by, owner.pk if owner else None):
        raise PermissionDenied(_("Only supervisors can save shared canned replies."), field="shared")
    title = _name(title)
    body = _name(body, field="body", maximum=BODY_MAX)
    templating.check(body, field="body")
    if language not in Language.values:
        raise RuleInvalid(_("Unknown language."), field="language")
    category = (category or "").strip()[:100]
    if reply is None:
        reply = CannedReply(created_by=by)
    reply.title, reply.body, reply.category, reply.language = title, body, category, language
    reply.owner, reply.active = owner, active
    reply.save()
    return reply


@transaction.atomic
def delete_canned_reply(reply: CannedReply, *, by: User) -> None:
    if not can_edit_owned(by, reply.owner_id):
        raise NotFound(_("Canned reply not found."))
    reply.delete()


def render_canned_reply(reply: CannedReply, *, ticket: Ticket | None, by: User) -> str:
    """The reply's text filled in for this ticket and agent; counts one use."""
    CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    if ticket is None:
        return templating.render(reply.body, templating.Context(agent_name=by.name))
    return templating.render(reply.body, templating.context_for(ticket, agent=by))


# --------------------------------------------------------------------------- triggers and time rules


@transaction.atomic
def save_trigger(
    *,
    by: User,
    name: str,
    event: str,
    conditions: Any,
    actions: Any,
    match: str = Match.ALL,
    position: int = 100,
    active: bool = True,
    trigger: Trigger | None = None,
) -> Trigger:
    require_supervisor(by)
    if event not in TriggerEvent.values:
        raise RuleInvalid(
            _("Unknown event %(event)s. Allowed: %(allowed)s")
            % {"event": str(event)[:40], "allowed": ", ".join(TriggerEvent.values)},
            field="event",
        )
    if match not in Match.values:
        raise RuleInvalid(_("Match must be all or any."), field="match")
    item = trigger or Trigger(created_by=by)
    item.name = _name(name, field="name")
    item.event, item.match = event, match
    item.conditions = rules.clean_conditions(conditions)
    item.actions = rules.clean_actions(actions)
    item.position, item.active = max(0, int(position)), active
    item.save()
    return item


@transaction.atomic
def save_time_rule(
    *,
    by: User,
    name: str,
    kind: str,
    minutes: int,
    actions: Any,
    conditions: Any = None,
    position: int = 100,
    active: bool = True,
    rule: TimeRule | None = None,
) -> TimeRule:
    require_supervisor(by)
    if kind not in TimeRuleKind.values:
        raise RuleInvalid(
            _("Unknown rule kind. Allowed: %(allowed)s") % {"allowed": ", ".join(TimeRuleKind.values)},
            field="kind",
        )
    if not isinstance(minutes, int) or minutes < 1 or minutes > 60 * 24 * 365:
        raise RuleInvalid(_("Minutes must be between 1 and 525600."), field="minutes")
    item = rule or TimeRule(created_by=by)
    item.name = _name(name, field="name")
    item.kind, item.minutes = kind, minutes
    item.conditions = rules.clean_conditions(conditions)
    item.actions = rules.clean_actions(actions)
    item.position, item.active = max(0, int(position)), active
    item.save()
    return item


# --------------------------------------------------------------------------- macros

MACRO_ACTIONS = frozenset(rules.ACTION_TYPES) - {"notify"}


@transaction.atomic
def save_macro(
    *,
    by: User,
    name: str,
    actions: Any,
    shared: bool = True,
    position: int = 100,
    active: bool = True,
    macro: Macro | None = None,
) -> Macro:
    if macro is not None and not can_edit_owned(by, macro.owner_id):
        raise NotFound(_("Macro not found."))
    owner = None if shared else by
    if not can_edit_owned(by, owner.pk if owner else None):
        raise PermissionDenied(_("Only supervisors can save shared macros."), field="shared")
    item = macro or Macro()
    item.name = _name(name, field="name")
    item.actions = rules.clean_actions(actions, allow=MACRO_ACTIONS)
    item.owner, item.position, item.active = owner, max(0, int(position)), active
    item.save()
    return item


def apply_macro(macro: Macro, *, ticket: Ticket, by: User, version: int) -> Ticket:
    """All of the macro's actions in one transaction; a stale `version` (the page's) raises StaleVersion."""
    if not by.is_agent:
        raise PermissionDenied(_("Only agents can apply macros."))
    if not macro.active or (macro.owner_id is not None and macro.owner_id != by.pk):
        raise NotFound(_("Macro not found."))
    return actions.apply(ticket, macro.actions, by=by, version=version, source="macro")


# --------------------------------------------------------------------------- webhooks


URL_MAX = 500


def check_webhook(*, url: str, secret: str | None) -> tuple[str, str | None]:
    """The one validation of a webhook, for every door (API, agent pages, Django admin): the URL
    must be a public http(s) address (the SSRF guard, with its reason) and a secret given must be
    long enough to sign with. Returns the cleaned (url, secret); raises UnsafeUrl or RuleInvalid."""
    url = (url or "").strip()
    if not url:
        raise RuleInvalid(_("This field is required."), field="url")
    if len(url) > URL_MAX:
        raise RuleInvalid(_("Too long: at most %(n)d characters.") % {"n": URL_MAX}, field="url")
    webhooks.check_url(url)
    if secret is not None:
        secret = webhooks.check_secret(secret)
    return url, secret


@transaction.atomic
def save_webhook(
    *,
    by: User,
    name: str,
    url: str,
    active: bool = True,
    webhook: Webhook | None = None,
    secret: str | None = None,
) -> Webhook:
    """Save a webhook; a URL that points inside the network is refused with the reason (SSRF guard).
    `secret` None keeps the signing secret (a new webhook gets a random one)."""
    require_supervisor(by)
    url, secret = check_webhook(url=url, secret=secret)
    item = webhook or Webhook(secret=webhooks.new_secret())
    item.name = _name(name, field="name")
    item.url, item.active = url, active
    if secret is not None:
        item.secret = secret
    if webhook is not None and active:
        item.consecutive_failures, item.circuit_open_until = 0, None  # saving again closes the circuit
    item.save()
    return item
