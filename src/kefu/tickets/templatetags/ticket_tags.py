"""Small pieces of ticket markup drawn on every row of a list, built in Python: a template include
with an if-chain per row cost about 0.1 ms a row, which a 50-row page feels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kefu.tickets.states import Status

register = template.Library()

# The short word on the badge; the full label (get_status_display) is its tooltip. Colours: kefu.css.
SHORT = {
    Status.NEW: _("New"),
    Status.OPEN: _("Open"),
    Status.PENDING: _("Pending"),
    Status.ON_HOLD: _("On hold"),
    Status.SOLVED: _("Solved"),
    Status.CLOSED: _("Closed"),
}


_drawn: dict[tuple[str, str], str] = {}


@register.simple_tag
def status_badge(ticket: Any) -> str:
    # The badge depends only on the status and the language: drawn once each, then looked up.
    key = (get_language() or "", ticket.status)
    html = _drawn.get(key)
    if html is None:
        full = ticket.get_status_display()
        html = _drawn[key] = format_html(
            '<span class="badge kefu-status status-{0}" data-status="{0}" title="{1}">{2}</span>',
            ticket.status,
            full,
            SHORT.get(ticket.status, full),
        )
    return html
