"""The rule editor's rows ⇄ the stored JSON of conditions and actions.

The page posts one row per condition (`c_field`, `c_op`, `c_value`) and per action (`a_type`,
`a_value`, `a_text`), repeated in page order. Rows left blank are skipped. What comes out is the
JSON the services validate (`rules.clean_conditions` / `clean_actions`): this module only reshapes,
it decides nothing, so a rule saved from the form and one saved from the API obey the same checks.
An error's `field` ("conditions[2].op") is mapped back to the row on the page that caused it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import Department, Role, Team, User
from kefu.customers.models import Tier
from kefu.tickets.models import Category, Channel, Priority, TicketType
from kefu.tickets.states import Status

from . import rules
from .models import CannedReply, Webhook

SPLIT = re.compile(r"[,，、\n]")
BLANK_ROWS = 1  # rows offered to fill in when the page is used without JavaScript
MAX_ROWS = 60  # more posted rows than the rule language allows are cut here, then refused by it


@dataclass
class Row:
    """One editor row as shown: what was chosen and the reason it was refused, if it was."""

    kind: str  # "condition" or "action"
    a: str = ""  # field / action type
    b: str = ""  # operator / value
    c: str = ""  # value / text
    error: str = ""
    error_part: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _values(text: str) -> list[str]:
    return [v.strip() for v in SPLIT.split(text or "") if v.strip()]


# --------------------------------------------------------------------------- posted rows → JSON

# A supervisor types what the screen shows (紧急, VIP, 已解决 or "Urgent"): such a label is stored as
# its value (urgent), in either language; anything else is left for the rules' validation to judge.
FIELD_CHOICES = {
    "ticket.status": Status,
    "ticket.priority": Priority,
    "ticket.type": TicketType,
    "ticket.channel": Channel,
    "customer.tier": Tier,
}
ACTION_CHOICES = {"set_priority": Priority, "set_type": TicketType, "set_status": Status}


def _by_label(choices: Any, text: str) -> str:
    wanted = text.strip()
    for value, _label in choices.choices:
        if wanted.lower() == str(value).lower():
            return str(value)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                if wanted.lower() == str(label).lower():
                    return str(value)
    return wanted


def conditions_from_post(post: QueryDict) -> tuple[list[dict[str, Any]], list[Row], list[int]]:
    """(conditions as JSON, the rows as posted, for each condition the index of its row)."""
    fields, ops, values = post.getlist("c_field"), post.getlist("c_op"), post.getlist("c_value")
    out: list[dict[str, Any]] = []
    shown: list[Row] = []
    where: list[int] = []
    for i in range(min(max(len(fields), len(ops), len(values)), MAX_ROWS)):
        name = fields[i].strip() if i < len(fields) else ""
        op = ops[i].strip() if i < len(ops) else ""
        raw = values[i] if i < len(values) else ""
        shown.append(Row("condition", name, op, raw))
        if not name and not raw.strip():
            continue  # an empty row
        if op in rules.NO_VALUE:
            value: Any = None
        elif op in rules.LIST_VALUE:
            value = _values(raw)
        else:
            value = raw.strip()
        if name in FIELD_CHOICES and value is not None:
            choices = FIELD_CHOICES[name]
            value = (
                [_by_label(choices, v) for v in value]
                if isinstance(value, list)
                else _by_label(choices, value)
            )
        out.append({"field": name, "op": op, "value": value})
        where.append(len(shown) - 1)
    return out, shown, where


def _number(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else text


def actions_from_post(post: QueryDict) -> tuple[list[dict[str, Any]], list[Row], list[int]]:
    types, values, texts = post.getlist("a_type"), post.getlist("a_value"), post.getlist("a_text")
    out: list[dict[str, Any]] = []
    shown: list[Row] = []
    where: list[int] = []
    for i in range(min(max(len(types), len(values), len(texts)), MAX_ROWS)):
        kind = types[i].strip() if i < len(types) else ""
        value = values[i] if i < len(values) else ""
        text = texts[i] if i < len(texts) else ""
        shown.append(Row("action", kind, value, text))
        if not kind:
            continue
        action: dict[str, Any] = {"type": kind}
        if kind in ("add_tags", "remove_tags"):
            action["value"] = _values(value)
        elif kind in ("set_category",):
            action["value"] = _number(value)
        elif kind == "add_note":
            action["body"] = text
        elif kind == "reply":
            canned = _number(value)
            if canned is not None:
                action["canned_reply"] = canned
            else:
                action["body"] = text
        elif kind == "notify":
            action["to"], action["text"] = value.strip(), text
        elif kind == "webhook":
            action["webhook"] = _number(value)
        elif kind in ACTION_CHOICES:
            action["value"] = _by_label(ACTION_CHOICES[kind], value)
        else:
            action["value"] = value.strip()
        out.append(action)
        where.append(len(shown) - 1)
    return out, shown, where


ERROR_AT = re.compile(r"^(conditions|actions)\[(\d+)\](?:\.(\w+))?$")


def place_error(
    error: Any, conditions: tuple[list[Row], list[int]], actions: tuple[list[Row], list[int]]
) -> bool:
    """Put the error's reason on the row it is about; True when it found one."""
    found = ERROR_AT.match(getattr(error, "field", "") or "")
    if not found:
        return False
    rows, where = conditions if found.group(1) == "conditions" else actions
    index = int(found.group(2))
    if index >= len(where):
        return False
    row = rows[where[index]]
    row.error, row.error_part = str(error.message), found.group(3) or ""
    return True


# --------------------------------------------------------------------------- stored JSON → rows


def condition_rows(conditions: list[dict[str, Any]] | None) -> list[Row]:
    out = []
    for item in conditions or []:
        value = item.get("value")
        text = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        out.append(Row("condition", item.get("field", ""), item.get("op", ""), text))
    return out


def action_rows(actions: list[dict[str, Any]] | None) -> list[Row]:
    out = []
    for item in actions or []:
        kind = item.get("type", "")
        value: Any = item.get("value", "")
        text = ""
        if kind == "add_note":
            value, text = "", item.get("body", "")
        elif kind == "reply":
            value, text = item.get("canned_reply") or "", item.get("body", "")
        elif kind == "notify":
            value, text = item.get("to", ""), item.get("text", "")
        elif kind == "webhook":
            value = item.get("webhook", "")
        if isinstance(value, list):
            value = ", ".join(value)
        out.append(Row("action", kind, "" if value is None else str(value), text))
    return out


def with_blank(rows: list[Row], kind: str) -> list[Row]:
    """The rows to show, plus blank ones; each knows which value suggestions fit its choice."""
    out = [*rows, *(Row(kind) for _ in range(BLANK_ROWS))]
    for row in out:
        if kind == "condition":
            row.extra["list"] = FIELD_LISTS.get(row.a, "")
        else:
            inputs = ACTION_INPUTS.get(row.a, ("", True, True))
            row.extra.update({"list": inputs[0], "value": inputs[1], "text": inputs[2]})
    return out


# --------------------------------------------------------------------------- what the selects offer


def _choices(pairs: Any) -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in pairs]


NOTIFY_LABELS = {
    "assignee": _("the assignee"),
    "team_lead": _("the team lead"),
    "team": _("the whole team"),
    "supervisors": _("the supervisors"),
}

# Which value list and which inputs each action uses (read by automation.js to show the right ones).
ACTION_INPUTS: dict[str, tuple[str, bool, bool]] = {
    # type: (value list id, needs value, needs text)
    "set_priority": ("dl-priority", True, False),
    "set_type": ("dl-type", True, False),
    "set_status": ("dl-status", True, False),
    "set_team": ("dl-team", True, False),
    "set_category": ("dl-category", True, False),
    "assign": ("dl-agent", True, False),
    "add_tags": ("", True, False),
    "remove_tags": ("", True, False),
    "add_note": ("", False, True),
    "reply": ("dl-canned", True, True),
    "notify": ("dl-notify", True, True),
    "share": ("dl-department", True, False),
    "webhook": ("dl-webhook", True, False),
}
FIELD_LISTS = {
    "ticket.status": "dl-status",
    "ticket.priority": "dl-priority",
    "ticket.type": "dl-type",
    "ticket.channel": "dl-channel",
    "ticket.team": "dl-team",
    "ticket.assignee": "dl-agent",
    "customer.tier": "dl-tier",
}


def editor_context(*, allow: frozenset[str] | None = None) -> dict[str, Any]:
    """Options for the selects and the value suggestions (datalists) of the editor."""
    operators = sorted({op for ops in rules.OPERATORS.values() for op in ops})
    return {
        "field_options": [
            (name, str(spec.label), " ".join(rules.OPERATORS[spec.kind]), FIELD_LISTS.get(name, ""))
            for name, spec in rules.FIELDS.items()
        ],
        "operator_options": [(op, str(OPERATOR_LABELS.get(op, op))) for op in operators],
        "action_options": [
            (name, str(label), *ACTION_INPUTS[name])
            for name, label in rules.ACTION_TYPES.items()
            if allow is None or name in allow
        ],
        "lists": {
            "dl-priority": _choices(Priority.choices),
            "dl-type": _choices(TicketType.choices),
            "dl-status": _choices(Status.choices),
            "dl-channel": _choices(Channel.choices),
            "dl-tier": _choices(Tier.choices),
            "dl-team": [(t, t) for t in Team.objects.order_by("name").values_list("name", flat=True)[:500]],
            "dl-department": [
                (d, d) for d in Department.objects.order_by("name").values_list("name", flat=True)[:500]
            ],
            "dl-category": [(str(c.pk), str(c)) for c in Category.objects.select_related("parent")[:500]],
            "dl-agent": [
                (u.username, u.name)
                for u in User.objects.filter(
                    is_active=True, role__in=[Role.AGENT, Role.SENIOR_AGENT, Role.SUPERVISOR]
                ).order_by("username")[:500]
            ],
            "dl-canned": [
                (str(pk), title)
                for pk, title in CannedReply.objects.filter(owner=None).values_list("pk", "title")[:500]
            ],
            "dl-notify": [(k, str(v)) for k, v in NOTIFY_LABELS.items()],
            "dl-webhook": [(str(pk), name) for pk, name in Webhook.objects.values_list("pk", "name")[:500]],
        },
    }


OPERATOR_LABELS = {
    "contains": pgettext_lazy("rule operator", "contains"),
    "not_contains": pgettext_lazy("rule operator", "does not contain"),
    "contains_any": pgettext_lazy("rule operator", "contains any of"),
    "eq": pgettext_lazy("rule operator", "is"),
    "ne": pgettext_lazy("rule operator", "is not"),
    "starts_with": pgettext_lazy("rule operator", "starts with"),
    "is_empty": pgettext_lazy("rule operator", "is empty"),
    "is_not_empty": pgettext_lazy("rule operator", "is not empty"),
    "in": pgettext_lazy("rule operator", "is one of"),
    "not_in": pgettext_lazy("rule operator", "is none of"),
    "has": pgettext_lazy("rule operator", "has tag"),
    "has_not": pgettext_lazy("rule operator", "does not have tag"),
    "has_any": pgettext_lazy("rule operator", "has any tag of"),
}
