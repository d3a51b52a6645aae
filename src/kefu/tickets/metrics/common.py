"""What every ticket metric shares: the dimensions' columns, filters, and daily grouped rows.

A dimension is read from the ticket's *current* row (its channel, team, assignee…), so a figure
cut by team counts a ticket under the team it belongs to now. The apps above tickets (sla,
routing…) use the same helpers with a `prefix` ("ticket__") for their rows that point at a ticket.

Groups are strings: codes for channel, type, priority and tier ("email", "vip"), ids for team,
agent and category ("12"), and "none" when the ticket has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from django.db.models import FloatField, Func, Q, QuerySet

from kefu.core import metrics
from kefu.core.metrics import Row, Window

NONE = "none"  # the group of tickets without a value (no team, unassigned, no category)
TICKET_DIMENSIONS: tuple[str, ...] = ("channel", "team", "agent", "tier", "category", "type", "priority")
ID_DIMENSIONS = frozenset({"team", "agent", "category", "department"})
_COLUMNS = {
    "channel": "channel",
    "team": "team_id",
    "agent": "assignee_id",
    "tier": "customer__tier",
    "category": "category_id",
    "type": "type",
    "priority": "priority",
}


def columns(prefix: str = "", *, agent: str | None = None) -> dict[str, str]:
    """Dimension → column path for rows reached through `prefix` ("" on Ticket, "ticket__" on an
    event). `agent`: the column that names the agent, when it is not the ticket's assignee (the
    author of a reply, the first responder), given as a full path."""
    paths = {dim: prefix + col for dim, col in _COLUMNS.items()}
    if agent is not None:
        paths["agent"] = agent
    return paths


def apply_filters(
    qs: QuerySet[Any], filters: Mapping[str, Iterable[str]], paths: Mapping[str, str]
) -> QuerySet[Any]:
    """Keep the rows whose dimensions take one of the allowed values; dimensions the rows do not
    have (not in `paths`) are left to the caller."""
    for dim, values in filters.items():
        path = paths.get(dim)
        if path is None:
            continue
        values = tuple(values)
        wanted: list[Any] = [v for v in values if v != NONE]
        if dim in ID_DIMENSIONS:
            wanted = [int(v) for v in wanted if str(v).isascii() and str(v).isdigit()]
        condition = Q()
        if wanted:
            condition |= Q(**{f"{path}__in": wanted})
        if NONE in values:
            condition |= Q(**{f"{path}__isnull": True})
            if dim not in ID_DIMENSIONS:
                condition |= Q(**{path: ""})
        qs = qs.filter(condition) if condition else qs.none()
    return qs


def during(qs: QuerySet[Any], field: str, win: Window) -> QuerySet[Any]:
    """Rows whose `field` falls inside the window's local days."""
    return qs.filter(**{f"{field}__gte": win.since, f"{field}__lt": win.until})


def group_of(value: Any) -> str:
    return NONE if value is None or value == "" else str(value)


def daily(
    qs: QuerySet[Any],
    day_field: str,
    by: str | None,
    paths: Mapping[str, str],
    *,
    num_as: Callable[[Any], float] = lambda v: float(v or 0),
    **aggregates: Any,
) -> list[Row]:
    """One Row per (local day of `day_field`, group of `by`): `num` and optional `den` aggregates,
    computed by the database (GROUP BY day, dimension). `num_as` turns the database's sum into
    the metric's unit (a SUM of durations into minutes)."""
    keys = ["kday"] + ([paths[by]] if by else [])
    found = qs.annotate(kday=metrics.local_day(day_field)).values(*keys).annotate(**aggregates).order_by()
    return [
        Row(
            r["kday"],
            group_of(r[paths[by]]) if by else "",
            num_as(r["num"]),
            float(r.get("den") or 0),
        )
        for r in found
    ]


def narrowed(win: Window, by: str | None, group: str | None) -> Window:
    """The window of a chart point: its days, its filters, plus its own group as one more filter."""
    if not by or group is None or group == "":
        return win
    filters = dict(win.filters)
    filters[by] = (group,)
    return replace(win, filters=filters)


class SecondsBetween(Func):
    """later − earlier in seconds (a float), in the database's own arithmetic: EXTRACT(EPOCH …) on
    PostgreSQL, julianday() on SQLite (Django's datetime subtraction calls Python once per row
    there)."""

    output_field = FloatField()

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))", [*later_params, *earlier_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)", [*later_params, *earlier_params]
