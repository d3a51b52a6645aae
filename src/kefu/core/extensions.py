"""Extension points: how a higher app adds to a lower app's pages without importing upward.

The layers (DESIGN.md) forbid `tickets` from importing `sla` or `knowledge`, yet the ticket page
should show an SLA countdown and suggested articles. So the page asks this registry, and each
higher app registers its parts in `AppConfig.ready()` — the same inversion as `core.events`.

Every hook returns HTML that the app rendered with its own template (autoescaped), or "" to
show nothing. A failing hook must not take the page down: it is logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

log = logging.getLogger("kefu.extensions")

# render(request, ticket) -> html
TicketHook = Callable[[HttpRequest, Any], str]
# render(request, tickets) -> {ticket.pk: html}, one call per page of rows (no N+1)
RowsHook = Callable[[HttpRequest, list[Any]], dict[int, str]]


@dataclass(frozen=True, order=True)
class _Entry:
    order: int
    key: str
    render: Callable[..., Any] = field(compare=False)


@dataclass(frozen=True, order=True)
class NavLink:
    """A link in the top bar. `area`: "agent" (staff pages) or "portal" (customers and visitors)."""

    order: int
    key: str
    label: Any = field(compare=False)  # a lazy translation
    url_name: str = field(compare=False)
    area: str = field(compare=False, default="agent")
    visible: Callable[[Any], bool] = field(compare=False, default=lambda user: True)
    # Links that share a menu key sit in one dropdown of the top bar (MENUS), so the bar keeps one
    # line at 1366 px in English however many apps add pages.
    menu: str = field(compare=False, default="")


# The top bar's dropdowns: key -> (order among the links, label).
MENUS: dict[str, tuple[int, Any]] = {
    "planning": (45, pgettext_lazy("top bar", "Plans")),
    "customers": (50, _("Customers")),
    "team": (60, pgettext_lazy("top bar", "Team")),
    "settings": (90, _("Settings")),
}


_ticket_panels: dict[str, _Entry] = {}
_portal_panels: dict[str, _Entry] = {}
_compose_tools: dict[str, _Entry] = {}
_row_badges: dict[str, _Entry] = {}
_nav_links: dict[str, NavLink] = {}
_top_bar: dict[str, _Entry] = {}
_dashboard_panels: dict[str, _Entry] = {}
_customer_timelines: dict[str, _Entry] = {}
_customer_scopes: dict[str, _Entry] = {}


def register_ticket_panel(key: str, render: TicketHook, *, order: int = 100) -> None:
    """A card in the side column of the agent's ticket page (SLA timers, suggested articles…)."""
    _ticket_panels[key] = _Entry(order, key, render)


def register_portal_panel(key: str, render: TicketHook, *, order: int = 100) -> None:
    """A card in the side column of the customer's ticket page in the portal (the CSAT rating box…)."""
    _portal_panels[key] = _Entry(order, key, render)


def register_compose_tool(key: str, render: TicketHook, *, order: int = 100) -> None:
    """A control under the agent's reply box (canned replies, insert an article…)."""
    _compose_tools[key] = _Entry(order, key, render)


def register_row_badges(key: str, render: RowsHook, *, order: int = 100) -> None:
    """Badges next to a ticket's status in queue and search rows, computed for a whole page at once."""
    _row_badges[key] = _Entry(order, key, render)


def register_nav(link: NavLink) -> None:
    _nav_links[link.key] = link


def register_top_bar(key: str, render: Callable[[HttpRequest], str], *, order: int = 100) -> None:
    """A control in the top bar beside the user's name (e.g. the agent's own presence)."""
    _top_bar[key] = _Entry(order, key, render)


def register_dashboard_panel(key: str, render: Callable[[HttpRequest], str], *, order: int = 100) -> None:
    """A card on the supervisor's overview dashboard from an app above analytics (e.g. the active
    work plan's goals); the render answers "" when it has nothing for this reader."""
    _dashboard_panels[key] = _Entry(order, key, render)


def dashboard_panels(request: HttpRequest) -> list[SafeString]:
    parts = []
    for entry in sorted(_dashboard_panels.values()):
        html = _safe(entry, request)
        if html:
            parts.append(mark_safe(html))  # rendered by the app's own autoescaping template
    return parts


def top_bar(request: HttpRequest) -> list[SafeString]:
    parts = []
    for entry in sorted(_top_bar.values()):
        html = _safe(entry, request)
        if html:
            parts.append(mark_safe(html))  # rendered by the app's own autoescaping template
    return parts


def _safe(entry: _Entry, *args: Any) -> Any:
    try:
        return entry.render(*args)
    except Exception:
        log.exception("extension %s failed; left out of the page", entry.key)
        return None


def ticket_panels(request: HttpRequest, ticket: Any) -> list[SafeString]:
    return _render_all(_ticket_panels.values(), request, ticket)


def portal_panels(request: HttpRequest, ticket: Any) -> list[SafeString]:
    return _render_all(_portal_panels.values(), request, ticket)


def compose_tools(request: HttpRequest, ticket: Any) -> list[SafeString]:
    return _render_all(_compose_tools.values(), request, ticket)


def _render_all(entries: Iterable[_Entry], request: HttpRequest, ticket: Any) -> list[SafeString]:
    parts = []
    for entry in sorted(entries):
        html = _safe(entry, request, ticket)
        if html:
            parts.append(mark_safe(html))  # rendered by the app's own autoescaping template
    return parts


def decorate_rows(request: HttpRequest, tickets: list[Any]) -> None:
    """Sets `ticket.ext_badges` (a list of HTML snippets) on each ticket of a page."""
    for ticket in tickets:
        ticket.ext_badges = []
    if not tickets:
        return
    for entry in sorted(_row_badges.values()):
        found = _safe(entry, request, tickets) or {}
        for ticket in tickets:
            if html := found.get(ticket.pk):
                ticket.ext_badges.append(mark_safe(html))


def nav_links(user: Any, area: str) -> list[dict[str, Any]]:
    """The top bar's entries in order: links, and menus ({"key", "label", "links": [links]}).

    A menu shows only when the user may see at least one of its links.
    """
    entries: list[tuple[int, dict[str, Any]]] = []
    menus: dict[str, dict[str, Any]] = {}
    for link in _visible_links(user, area):
        if link["menu"] in MENUS:
            menu = menus.get(link["menu"])
            if menu is None:
                order, label = MENUS[link["menu"]]
                menu = menus[link["menu"]] = {"key": link["menu"], "label": str(label), "links": []}
                entries.append((order, menu))
            menu["links"].append(link)
        else:
            entries.append((link["order"], link))
    return [entry for _order, entry in sorted(entries, key=lambda e: e[0])]


def _visible_links(user: Any, area: str) -> list[dict[str, Any]]:
    links = []
    for link in sorted(_nav_links.values()):
        if link.area != area:
            continue
        try:
            if not link.visible(user):
                continue
            links.append(
                {
                    "key": link.key,
                    "label": str(link.label),
                    "url": reverse(link.url_name),
                    "menu": link.menu,
                    "order": link.order,
                }
            )
        except NoReverseMatch:
            log.exception("nav link %s points to an unknown url", link.key)
        except Exception:
            log.exception("nav link %s failed; left out", link.key)
    return links


# --------------------------------------------------------------------------- Customer 360

# entries(request, customer) -> [{"at": datetime, "kind": str, "title": str, "url": str, "html"?: str}]
TimelineHook = Callable[[HttpRequest, Any], list[dict[str, Any]]]
# scope(user, customers queryset) -> the part of it this user may see
ScopeHook = Callable[[Any, Any], Any]


def register_customer_timeline(key: str, entries: TimelineHook, *, order: int = 100) -> None:
    """Entries on the Customer 360 timeline from an app above tickets (surveys, callbacks, care tasks).

    Each entry: `at` (aware datetime), `kind` (a short code such as "survey"), `title` (plain text,
    escaped by the page), `url` ("" for none) and optionally `html` (rendered by the app's own
    autoescaping template). The hook shows only what `request.user` may see.
    """
    _customer_timelines[key] = _Entry(order, key, entries)


def customer_timeline(request: HttpRequest, customer: Any) -> list[dict[str, Any]]:
    """Every registered app's entries for one customer, unsorted; a failing hook is left out."""
    found: list[dict[str, Any]] = []
    for entry in sorted(_customer_timelines.values()):
        for item in _safe(entry, request, customer) or []:
            item = dict(item)
            item.setdefault("url", "")
            if item.get("html"):
                item["html"] = mark_safe(item["html"])  # rendered by the app's own autoescaping template
            found.append(item)
    return found


def register_customer_scope(key: str, scope: ScopeHook) -> None:
    """Narrows which customers a user may read (tickets registers "customers of tickets you can see"
    for agents), so that `customers`, below tickets, applies the rule without importing it."""
    _customer_scopes[key] = _Entry(0, key, scope)


def scope_customers(user: Any, customers: Any) -> Any:
    """`customers` narrowed by every registered scope. Fails closed: a scope that raises → none."""
    for entry in sorted(_customer_scopes.values()):
        try:
            customers = entry.render(user, customers)
        except Exception:
            log.exception("customer scope %s failed; no customers shown", entry.key)
            return customers.none()
    return customers


# --------------------------------------------------------------------------- duty from the roster

# duty(agent_ids, at) -> {agent_id: on duty at `at`?} for the agents a published roster covers;
# an agent left out of the answer keeps the old rule (their calendar and own weekdays).
DutySource = Callable[[list[int], Any], dict[int, bool]]
_duty_sources: dict[str, _Entry] = {}


def register_duty_source(key: str, source: DutySource) -> None:
    """Who is on duty by the roster (the workforce app), read by routing without importing it."""
    _duty_sources[key] = _Entry(0, key, source)


def on_duty(agent_ids: Iterable[int], at: Any) -> dict[int, bool]:
    """{agent_id: on duty?} for the agents some published roster covers at `at`; {} when none does
    (no source registered, no roster published): routing then keeps the calendar and weekdays.
    A failing source is logged and left out, so routing never stops over the roster."""
    ids = list(agent_ids)
    found: dict[int, bool] = {}
    if not ids:
        return found
    for entry in sorted(_duty_sources.values()):
        part = _safe(entry, ids, at)
        if part:
            found.update(part)
    return found
