"""The small declarative rule language: conditions and actions stored as JSON.

A condition is `{"field": "ticket.subject", "op": "contains", "value": "投诉"}`; the field comes from a
whitelist and each field accepts only the operators of its kind. An action is
`{"type": "set_priority", "value": "high"}`. Both are validated when saved (`clean_conditions`,
`clean_actions`) and raise RuleInvalid with the reason and the position of the bad part, so a rule
that is stored is a rule that can run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Department, Team, User
from kefu.customers.models import Tier
from kefu.tickets.models import Category, Channel, Priority, TicketType
from kefu.tickets.states import Status

from . import templating
from .errors import RuleInvalid

MAX_CONDITIONS = 50
MAX_ACTIONS = 20
MAX_TEXT = 2000

TEXT, CHOICE, REF, TAGS = "text", "choice", "ref", "tags"

OPERATORS: dict[str, tuple[str, ...]] = {
    TEXT: (
        "contains",
        "not_contains",
        "contains_any",
        "eq",
        "ne",
        "starts_with",
        "is_empty",
        "is_not_empty",
    ),
    CHOICE: ("eq", "ne", "in", "not_in"),
    REF: ("eq", "ne", "is_empty", "is_not_empty"),
    TAGS: ("has", "has_not", "has_any"),
}
NO_VALUE = frozenset({"is_empty", "is_not_empty"})
LIST_VALUE = frozenset({"in", "not_in", "contains_any", "has_any"})


def _allowed(values: list[str]) -> str:
    """The allowed values with what the screen calls them: "low (低), urgent (紧急)"."""
    labels = {
        str(v): str(label)
        for enum in (Status, Priority, TicketType, Channel, Tier)
        for v, label in enum.choices
    }
    return ", ".join(f"{v} ({labels[v]})" if labels.get(v, v).lower() != v.lower() else v for v in values)


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    label: Any
    choices: Callable[[], list[str]] | None = None


FIELDS: dict[str, FieldSpec] = {
    "ticket.subject": FieldSpec(TEXT, gettext_lazy("Subject")),
    "ticket.body": FieldSpec(TEXT, gettext_lazy("Message text")),
    "ticket.status": FieldSpec(CHOICE, gettext_lazy("Status"), lambda: list(Status.values)),
    "ticket.priority": FieldSpec(CHOICE, gettext_lazy("Priority"), lambda: list(Priority.values)),
    "ticket.type": FieldSpec(CHOICE, gettext_lazy("Type"), lambda: list(TicketType.values)),
    "ticket.channel": FieldSpec(CHOICE, gettext_lazy("Channel"), lambda: list(Channel.values)),
    "ticket.team": FieldSpec(REF, gettext_lazy("Team")),
    "ticket.category": FieldSpec(REF, gettext_lazy("Category")),
    "ticket.assignee": FieldSpec(REF, gettext_lazy("Assignee")),
    "ticket.tags": FieldSpec(TAGS, gettext_lazy("Tags")),
    "customer.tier": FieldSpec(CHOICE, gettext_lazy("Customer tier"), lambda: list(Tier.values)),
    "customer.name": FieldSpec(TEXT, gettext_lazy("Customer name")),
    "customer.email": FieldSpec(TEXT, gettext_lazy("Customer email")),
    "customer.organisation": FieldSpec(TEXT, gettext_lazy("Organisation")),
    "customer.language": FieldSpec(TEXT, gettext_lazy("Customer language")),
    "event.field": FieldSpec(TEXT, gettext_lazy("Changed field")),
    "event.old_value": FieldSpec(TEXT, gettext_lazy("Old value")),
    "event.new_value": FieldSpec(TEXT, gettext_lazy("New value")),
}


# --------------------------------------------------------------------------- conditions


def _where(index: int, part: str) -> str:
    return f"conditions[{index}].{part}"


def clean_conditions(raw: Any) -> list[dict[str, Any]]:
    """Validated conditions; RuleInvalid with the reason and `field` = the offending condition."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise RuleInvalid(_("Conditions must be a list."), field="conditions")
    if len(raw) > MAX_CONDITIONS:
        raise RuleInvalid(_("At most %(n)d conditions.") % {"n": MAX_CONDITIONS}, field="conditions")
    cleaned = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RuleInvalid(_("Each condition must be an object."), field=_where(index, "field"))
        extra = set(item) - {"field", "op", "value"}
        if extra:
            raise RuleInvalid(
                _("Unknown key in a condition: %(key)s") % {"key": sorted(extra)[0]},
                field=_where(index, sorted(extra)[0]),
            )
        name, op = item.get("field"), item.get("op")
        spec = FIELDS.get(name) if isinstance(name, str) else None
        if spec is None:
            raise RuleInvalid(
                _("Unknown field %(field)s. Allowed: %(allowed)s")
                % {"field": str(name)[:60], "allowed": ", ".join(FIELDS)},
                field=_where(index, "field"),
            )
        allowed = OPERATORS[spec.kind]
        if op not in allowed:
            raise RuleInvalid(
                _("Operator %(op)s is not allowed for %(field)s. Allowed: %(allowed)s")
                % {"op": str(op)[:30], "field": name, "allowed": ", ".join(allowed)},
                field=_where(index, "op"),
            )
        value = item.get("value")
        cleaned.append({"field": name, "op": op, "value": _clean_value(spec, op, value, index)})
    return cleaned


def _clean_value(spec: FieldSpec, op: str, value: Any, index: int) -> Any:
    where = _where(index, "value")
    if op in NO_VALUE:
        return None
    if op in LIST_VALUE:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise RuleInvalid(_("This operator needs a non-empty list of texts."), field=where)
        values = [v.strip()[:200] for v in value][:100]
    else:
        if not isinstance(value, str) or not value.strip():
            raise RuleInvalid(_("This operator needs a value."), field=where)
        values = [value.strip()[:MAX_TEXT]]
    if spec.kind == CHOICE and spec.choices is not None:
        choices = spec.choices()
        for v in values:
            if v not in choices:
                raise RuleInvalid(
                    _("%(value)s is not one of: %(allowed)s")
                    % {"value": v[:60], "allowed": _allowed(choices)},
                    field=where,
                )
    return values if op in LIST_VALUE else values[0]


def facts(ticket: Any, *, event: Any = None, message_text: str | None = None) -> dict[str, Any]:
    """The values conditions are judged on, read from the ticket as it is now (plus the event)."""
    customer = ticket.customer
    org = customer.organisation
    return {
        "ticket.subject": ticket.subject,
        "ticket.body": message_text or "",
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "ticket.type": ticket.type,
        "ticket.channel": ticket.channel,
        "ticket.team": ticket.team.name if ticket.team_id else "",
        "ticket.category": ticket.category.name if ticket.category_id else "",
        "ticket.assignee": ticket.assignee.username if ticket.assignee_id else "",
        "ticket.tags": [t.casefold() for t in ticket.tags.values_list("name", flat=True)],
        "customer.tier": customer.tier,
        "customer.name": customer.name,
        "customer.email": customer.email,
        "customer.organisation": org.name if org else "",
        "customer.language": customer.language,
        "event.field": getattr(event, "field", "") or "",
        "event.old_value": getattr(event, "old_value", "") or "",
        "event.new_value": getattr(event, "new_value", "") or "",
    }


def _test(condition: dict[str, Any], known: dict[str, Any]) -> bool:
    op, value = condition["op"], condition["value"]
    actual = known.get(condition["field"])
    if isinstance(actual, list):  # tags
        wanted = [v.casefold() for v in value] if isinstance(value, list) else [str(value).casefold()]
        if op == "has":
            return wanted[0] in actual
        if op == "has_not":
            return wanted[0] not in actual
        return any(w in actual for w in wanted)  # has_any
    text = str(actual or "")
    folded = text.casefold()
    if op == "is_empty":
        return not text
    if op == "is_not_empty":
        return bool(text)
    if op == "eq":
        return folded == str(value).casefold()
    if op == "ne":
        return folded != str(value).casefold()
    if op == "in":
        return text in value
    if op == "not_in":
        return text not in value
    if op == "contains":
        return str(value).casefold() in folded
    if op == "not_contains":
        return str(value).casefold() not in folded
    if op == "contains_any":
        return any(v.casefold() in folded for v in value)
    if op == "starts_with":
        return folded.startswith(str(value).casefold())
    return False


def matches(conditions: list[dict[str, Any]], known: dict[str, Any], *, match: str = "all") -> bool:
    if not conditions:
        return True
    results = (_test(c, known) for c in conditions)
    return any(results) if match == "any" else all(results)


# --------------------------------------------------------------------------- actions

NOTIFY_TARGETS = ("assignee", "team_lead", "team", "supervisors")
ACTION_TYPES: dict[str, Any] = {
    "set_priority": gettext_lazy("Set priority"),
    "set_type": gettext_lazy("Set type"),
    "set_status": gettext_lazy("Set status"),
    "set_team": gettext_lazy("Set team"),
    "set_category": gettext_lazy("Set category"),
    "assign": gettext_lazy("Assign"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "add_note": gettext_lazy("Add internal note"),
    "reply": gettext_lazy("Send public reply"),
    "notify": gettext_lazy("Notify"),
    "share": gettext_lazy("Share with department"),
    "webhook": gettext_lazy("Call webhook"),
}
ACTION_KEYS: dict[str, set[str]] = {
    "add_note": {"body"},
    "reply": {"body", "canned_reply"},
    "notify": {"to", "text"},
    "webhook": {"webhook"},
}
CHOICE_ACTIONS: dict[str, Callable[[], list[str]]] = {
    "set_priority": lambda: list(Priority.values),
    "set_type": lambda: list(TicketType.values),
    "set_status": lambda: list(Status.values),
}


def clean_actions(raw: Any, *, allow: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Validated actions; every name they refer to (team, agent, department…) must exist now."""
    if not isinstance(raw, list) or not raw:
        raise RuleInvalid(_("Add at least one action."), field="actions")
    if len(raw) > MAX_ACTIONS:
        raise RuleInvalid(_("At most %(n)d actions.") % {"n": MAX_ACTIONS}, field="actions")
    cleaned = []
    for index, item in enumerate(raw):
        where = f"actions[{index}]"
        if not isinstance(item, dict):
            raise RuleInvalid(_("Each action must be an object."), field=where)
        kind = item.get("type")
        if kind not in ACTION_TYPES or (allow is not None and kind not in allow):
            allowed = [k for k in ACTION_TYPES if allow is None or k in allow]
            raise RuleInvalid(
                _("Unknown action %(type)s. Allowed: %(allowed)s")
                % {"type": str(kind)[:40], "allowed": ", ".join(allowed)},
                field=f"{where}.type",
            )
        keys = ACTION_KEYS.get(kind, {"value"})
        extra = set(item) - keys - {"type"}
        if extra:
            raise RuleInvalid(
                _("Unknown key in an action: %(key)s") % {"key": sorted(extra)[0]},
                field=f"{where}.{sorted(extra)[0]}",
            )
        cleaned.append(_clean_action(kind, item, where))
    return cleaned


def _text(item: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleInvalid(_("This action needs a text."), field=f"{where}.{key}")
    if len(value) > MAX_TEXT:
        raise RuleInvalid(_("Too long: at most %(n)d characters.") % {"n": MAX_TEXT}, field=f"{where}.{key}")
    return templating.check(value.strip(), field=f"{where}.{key}")


def _clean_action(kind: str, item: dict[str, Any], where: str) -> dict[str, Any]:
    value = item.get("value")
    field = f"{where}.value"
    if kind in CHOICE_ACTIONS:
        choices = CHOICE_ACTIONS[kind]()
        if value not in choices:
            raise RuleInvalid(
                _("%(value)s is not one of: %(allowed)s")
                % {"value": str(value)[:60], "allowed": _allowed(choices)},
                field=field,
            )
        return {"type": kind, "value": value}
    if kind == "set_team":
        if value and not Team.objects.filter(name=value).exists():
            raise RuleInvalid(_("No team named %(name)s.") % {"name": str(value)[:60]}, field=field)
        return {"type": kind, "value": value or ""}
    if kind == "set_category":
        if value in (None, ""):
            return {"type": kind, "value": None}
        if not isinstance(value, int) or not Category.objects.filter(pk=value).exists():
            raise RuleInvalid(_("No such category."), field=field)
        return {"type": kind, "value": value}
    if kind == "assign":
        if value and not isinstance(value, str):
            raise RuleInvalid(_("Name the agent by username."), field=field)
        if value and not any(u.is_agent for u in User.objects.filter(username=value)):
            raise RuleInvalid(_("No agent with username %(name)s.") % {"name": value[:60]}, field=field)
        return {"type": kind, "value": value or ""}
    if kind in ("add_tags", "remove_tags"):
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise RuleInvalid(_("This action needs a non-empty list of tags."), field=field)
        return {"type": kind, "value": sorted({v.strip()[:50] for v in value})}
    if kind == "share":
        if not isinstance(value, str) or not Department.objects.filter(name=value).exists():
            raise RuleInvalid(_("No department named %(name)s.") % {"name": str(value)[:60]}, field=field)
        return {"type": kind, "value": value}
    if kind == "add_note":
        return {"type": kind, "body": _text(item, "body", where)}
    if kind == "reply":
        canned = item.get("canned_reply")
        if canned not in (None, ""):
            from .models import CannedReply

            if not isinstance(canned, int) or not CannedReply.objects.filter(pk=canned, owner=None).exists():
                raise RuleInvalid(_("No shared canned reply with this id."), field=f"{where}.canned_reply")
            return {"type": kind, "canned_reply": canned}
        return {"type": kind, "body": _text(item, "body", where)}
    if kind == "notify":
        to = item.get("to")
        if to not in NOTIFY_TARGETS:
            raise RuleInvalid(
                _("Notify one of: %(allowed)s") % {"allowed": ", ".join(NOTIFY_TARGETS)}, field=f"{where}.to"
            )
        return {"type": kind, "to": to, "text": _text(item, "text", where)}
    # webhook
    from .models import Webhook

    hook = item.get("webhook")
    if not isinstance(hook, int) or not Webhook.objects.filter(pk=hook).exists():
        raise RuleInvalid(_("No such webhook."), field=f"{where}.webhook")
    return {"type": kind, "webhook": hook}
