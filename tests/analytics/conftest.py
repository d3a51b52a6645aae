"""Fixtures of the analytics tests: a small ticket history over several months and three metrics of
our own (a count, a ratio that a late event changes on an earlier day, a stock), written in SQL the
way every app writes its metrics, so the rollup engine is tested whatever the apps register."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce

from kefu.core import metrics
from kefu.core.metrics import Metric, Row
from kefu.tickets.models import Ticket, TicketEvent
from tests.clock import SHANGHAI
from tests.factories import CustomerFactory

DIM_FIELDS = {"channel": "channel", "team": "team_id", "agent": "assignee_id", "priority": "priority"}


def _filtered(qs, win):
    """Groups are strings, "none" for tickets without a value (as in tickets.metrics)."""
    for dim, values in win.filters.items():
        wanted = Q(**{f"{DIM_FIELDS[dim]}__in": [v for v in values if v != "none"]})
        if "none" in values:
            wanted |= Q(**{f"{DIM_FIELDS[dim]}__isnull": True})
        qs = qs.filter(wanted)
    return qs


def _group(by):
    if by is None:
        return Value("")
    return Coalesce(Cast(DIM_FIELDS[by], CharField()), Value("none"))


def created_rows(win, by):
    qs = _filtered(Ticket.objects.filter(created_at__gte=win.since, created_at__lt=win.until), win)
    found = (
        qs.annotate(day=metrics.local_day("created_at"), g=_group(by))
        .values("day", "g")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [Row(r["day"], r["g"], r["n"], 0) for r in found]


def reopen_rows(win, by):
    """Of the tickets solved that day, those reopened afterwards (a later event changes an earlier day)."""
    reopened = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), kind="changed", field="status", new_value="open"
    )
    qs = _filtered(Ticket.objects.filter(solved_at__gte=win.since, solved_at__lt=win.until), win)
    found = (
        qs.annotate(day=metrics.local_day("solved_at"), g=_group(by), again=Exists(reopened))
        .values("day", "g")
        .annotate(den=Count("id"), num=Count("id", filter=Q(again=True)))
        .order_by()
    )
    return [Row(r["day"], r["g"], r["num"], r["den"]) for r in found]


def backlog_rows(win, by):
    """A stock has a row every day for every group, zero included (the last day of a bucket is its value)."""
    groups = set(_filtered(Ticket.objects.all(), win).annotate(g=_group(by)).values_list("g", flat=True))
    out = []
    for day in win.days():
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
        qs = _filtered(Ticket.objects.filter(created_at__lt=end), win).filter(
            Q(solved_at__isnull=True) | Q(solved_at__gte=end)
        )
        found = dict.fromkeys(groups or {""}, 0)
        found.update(qs.annotate(g=_group(by)).values_list("g").annotate(n=Count("id")).order_by())
        out.extend(Row(day, g, n, 0) for g, n in found.items())
    return out


TEST_METRICS = [
    Metric(
        key="t_created",
        name="created",
        description="",
        unit="count",
        direction="higher",
        aggregate="count",
        formula="tickets created",
        rows=created_rows,
        dimensions=("channel", "team", "agent", "priority"),
        day_of="created",
    ),
    Metric(
        key="t_reopen",
        name="reopen",
        description="",
        unit="percent",
        direction="lower",
        aggregate="ratio",
        formula="reopened / solved",
        rows=reopen_rows,
        dimensions=("channel", "team", "agent"),
    ),
    Metric(
        key="t_backlog",
        name="backlog",
        description="",
        unit="count",
        direction="lower",
        aggregate="stock",
        formula="open at the end of the day",
        rows=backlog_rows,
        dimensions=("channel", "team"),
    ),
]


@pytest.fixture
def test_metrics():
    saved = dict(metrics._metrics)
    for m in TEST_METRICS:
        metrics.register(m)
    yield TEST_METRICS
    metrics._metrics.clear()
    metrics._metrics.update(saved)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def make(customer, *, created, channel="web", team=None, assignee=None, priority="normal", solved=None):
    ticket = Ticket.objects.create(
        subject="订单", customer=customer, channel=channel, team=team, assignee=assignee, priority=priority
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, solved_at=solved)
    event(ticket, "created", created)
    if solved:
        event(ticket, "changed", solved, field="status", new="solved")
    ticket.refresh_from_db()
    return ticket


def event(ticket, kind, when, *, field="", new=""):
    ev = TicketEvent.objects.create(ticket=ticket, kind=kind, field=field, new_value=new)
    TicketEvent.objects.filter(pk=ev.pk).update(created_at=when)
    return ev


@pytest.fixture
def history(db, team_aftersales, team_tech, agent_li, agent_wang, agent_tech):
    """About fifty-five tickets from March to June 2026 over channels, teams, agents and priorities;
    some solved, some reopened, one created just before midnight Shanghai time (a UTC day earlier)."""
    customer = CustomerFactory()
    channels = ["web", "email", "chat", "phone"]
    people = [
        (team_aftersales, agent_li),
        (team_aftersales, agent_wang),
        (team_tech, agent_tech),
        (None, None),
    ]
    made = []
    start = at("2026-03-01 09:00")
    for i in range(55):
        created = start + timedelta(days=i * 1.7, hours=(i * 5) % 14)
        team, agent = people[i % 4]
        solved = created + timedelta(hours=3 + i % 30) if i % 3 else None
        t = make(
            customer,
            created=created,
            channel=channels[i % 4],
            team=team,
            assignee=agent,
            priority=("normal", "high", "urgent")[i % 3],
            solved=solved,
        )
        if solved and i % 5 == 0:
            event(t, "changed", solved + timedelta(days=2), field="status", new="open")
        made.append(t)
    made.append(make(customer, created=at("2026-05-31 23:50"), channel="email", team=team_tech))
    return made


@pytest.fixture(autouse=True)
def _short_history(settings):
    """Rollups reach 120 days back in these tests (800 in production): the fixture's whole span."""
    settings.KEFU_ANALYTICS_HISTORY_DAYS = 120
