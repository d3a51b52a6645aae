"""The restricted template language of canned replies and automated messages.

Only `{{ variable }}` from a fixed set, nothing else: no filters, tags, attribute access or
expressions, so a script written by one agent can never read data it should not or run code.
An unknown variable is refused when the text is saved (`check`), not discovered when it is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.clock import now

from .errors import RuleInvalid

VARIABLES = {
    "customer_name": gettext_lazy("Customer name"),
    "ticket_number": gettext_lazy("Ticket number"),
    "expected_time": gettext_lazy("Expected reply time"),
    "agent_name": gettext_lazy("Agent name"),
}
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


def check(text: str, *, field: str = "body") -> str:
    """The text if every placeholder is a known variable; else RuleInvalid naming the first bad one."""
    for match in PLACEHOLDER.finditer(text):
        name = NAME.match(match.group(1))
        if name is None:
            raise RuleInvalid(
                _("Only plain variables are allowed in {{ }}: %(text)s") % {"text": match.group(0)[:60]},
                field=field,
            )
        if name.group(1) not in VARIABLES:
            raise RuleInvalid(
                _("Unknown variable {{ %(name)s }}. Allowed: %(allowed)s")
                % {"name": name.group(1), "allowed": ", ".join(VARIABLES)},
                field=field,
            )
    leftover = PLACEHOLDER.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise RuleInvalid(_("A {{ is not closed with }}."), field=field)
    return text


@dataclass(frozen=True)
class Context:
    customer_name: str = ""
    ticket_number: str = ""
    expected_time: str = ""
    agent_name: str = ""


def expected_time(hours: int | None = None) -> str:
    hours = hours if hours is not None else getattr(settings, "KEFU_AUTOMATION_EXPECTED_HOURS", 24)
    return date_format(localtime(now() + timedelta(hours=hours)), "Y-m-d H:i")


def context_for(ticket: Any, *, agent: Any = None) -> Context:
    """The variables' values for one ticket, as seen by `agent` (the one who sends)."""
    agent = agent or getattr(ticket, "assignee", None)
    return Context(
        customer_name=ticket.customer.name if ticket is not None else "",
        ticket_number=ticket.number if ticket is not None else "",
        expected_time=expected_time(),
        agent_name=agent.name if agent is not None else "",
    )


def render(text: str, context: Context) -> str:
    """Fill the placeholders; the text was checked at save, an unknown name left here renders empty."""

    def fill(match: re.Match[str]) -> str:
        name = NAME.match(match.group(1))
        return str(getattr(context, name.group(1), "")) if name and name.group(1) in VARIABLES else ""

    return PLACEHOLDER.sub(fill, text)
