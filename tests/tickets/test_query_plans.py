"""No agent page reads a whole tickets, messages or events table, and each keeps to a query budget.

The ticket page once listed its linked tickets with `Q(links_in__source=t) | Q(links_out__target=t)`:
two joins of the link table under one OR, which no index can answer, so PostgreSQL read every ticket
(90 ms at 100k tickets and growing, issue 15). Any page can fall into the same trap, so this test
opens the agent pages (queue and its views, view counts, ticket page, search, the customer's tickets,
the API list and ticket, the export) as a supervisor and as a team agent over a seeded data set,
captures every SELECT Django sends (with its parameters) and asks the database for its plan.

How a fault is told from a legitimate plan — the plans are taken with the planner's normal settings,
not under `SET enable_seqscan = off`:

- With `enable_seqscan = off` the planner does not fail on a query that no index can answer: it
  swaps the sequential scan for a full walk of the primary key (checked: the OR query above then
  plans as `Index Scan Backward using tickets_ticket_pkey` with only a Filter), so the fault passes.
- Instead the data are sized so that an index is the cheaper plan wherever one applies: `kefu seed`
  (the bulk writer the benchmarks use) writes SIZE tickets with three messages each and their
  events (about a hundred pages of tickets, several hundred of messages), then every table is
  ANALYZEd, as autovacuum keeps them in production. One ticket's rows then cost a few pages by index
  against the whole table by scan, and the planner picks the index when there is one.
- A plan fails when it reads one of those tables whole. On PostgreSQL: a `Seq Scan` on it, or an
  index scan with no index condition (the disguised full read above), unless a LIMIT streamed
  above it (no sort, hash or aggregate between) stops it and the planner expects more matching rows
  than the limit. On SQLite, whose EXPLAIN QUERY PLAN has no estimates: a bare `SCAN <table>`, or a
  `SEARCH` by an index key that ANALYZE says matches more than half the rows (the OR query used
  `merged_into_id IS NULL` that way), unless the statement ends in a LIMIT with no sort before it.
  `SCAN … USING INDEX`, the queue walking its sort index down to its LIMIT, is fine.
- The view counts are COUNTs over `LIMIT 1000` by design: with fewer matches than the cap they are
  exact and read every row, so for them the LIMIT alone is the guarantee (`bounded`).

The same checks run on SQLite and PostgreSQL (CI runs the suite on both); the test that the old OR
query fails was run on both. Each page also keeps to a budget of SQL statements (today's count and a
small margin): an N+1 over the page's rows would overrun it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import Role, Team, User
from kefu.ops.seed import seed
from kefu.tickets import selectors
from kefu.tickets.models import Message, Ticket, TicketEvent, TicketLink
from kefu.tickets.services.exports import can_export

SIZE = 3000
BIG_TABLES = (Ticket._meta.db_table, Message._meta.db_table, TicketEvent._meta.db_table)

pytestmark = pytest.mark.django_db


@dataclass
class Statement:
    sql: str
    params: Any


def record_selects(statements: list[Statement]):
    def wrapper(execute, sql, params, many, context):
        if not many and sql.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(Statement(sql, params))
        return execute(sql, params, many, context)

    return wrapper


# Nodes that hand rows up as they come (their first child is the streamed, outer side): a LIMIT
# above them stops the scan below early. Sort, Hash, Aggregate… read all their input first.
STREAMING = {"Limit", "Nested Loop", "Hash Join", "Merge Join", "Subquery Scan", "Result", "Unique", "Gather"}


def _pg_full_reads(node: dict, limit: dict | None, bounded: bool) -> list[str]:
    """Scans of a big table in this plan that read it whole: a Seq Scan, or an index scan with no
    index condition, unless a LIMIT streamed above it stops it early. The planner must expect the
    LIMIT to cut the scan short (more matching rows than the limit), or, for `bounded` pages (the
    capped counts), the statement's LIMIT is its guarantee."""
    found = []
    kind, table = node.get("Node Type", ""), node.get("Relation Name", "")
    whole = kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node)
    if table in BIG_TABLES and whole:
        cut = limit is not None and (bounded or node["Plan Rows"] > limit["Plan Rows"])
        if not cut:
            found.append(f"{kind} on {table} reads the whole table")
    children = node.get("Plans", [])
    for n, child in enumerate(children):
        if kind == "Limit":
            passed = node
        elif kind in STREAMING and n == 0 or kind == "Append":
            passed = limit
        else:
            passed = None
        found += _pg_full_reads(child, passed, bounded)
    return found


def _sqlite_aliases(sql: str) -> dict[str, str]:
    """Alias (or table name) → big table, as the statement names them (`"tickets_ticket" U0`)."""
    names = {t: t for t in BIG_TABLES}
    for table, alias in re.findall(r'"(\w+)"\s+(?:AS\s+)?"?([A-Z]+\d+)"?', sql):
        if table in BIG_TABLES:
            names[alias] = table
    return names


def full_reads(statement: Statement, *, bounded: bool) -> tuple[list[str], str]:
    """The big tables this statement's plan reads whole, and the plan as text."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (FORMAT JSON) " + statement.sql, statement.params)
            raw = cur.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            bad = _pg_full_reads(plan, None, bounded)
            if not bad:
                return [], ""
            cur.execute("EXPLAIN " + statement.sql, statement.params)
            return bad, "\n".join(row[0] for row in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
        lines = [row[-1] for row in cur.fetchall()]
        cur.execute("SELECT idx, stat FROM sqlite_stat1")
        cur_stats = dict(cur.fetchall())
    names = _sqlite_aliases(statement.sql)
    # SQLite gives no row estimates: a LIMIT that no sort stands before is trusted to stop the scan.
    # (the statement's own LIMIT, at its end, or at the end of the capped count's subquery).
    limited = re.search(r"LIMIT \d+( OFFSET \d+)?(\) subquery)?\s*$", statement.sql)
    cut = bool(limited) and (bounded or not any("TEMP B-TREE" in line for line in lines))
    bad = []
    for line in lines:
        if cut:
            break
        scan = re.fullmatch(r"SCAN (\w+)", line.strip())
        search = re.fullmatch(r"SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \((.*)\)", line.strip())
        if scan and scan.group(1) in names:
            bad.append(f"full table scan of {names[scan.group(1)]} ({line})")
        elif search and search.group(1) in names:
            # An index "lookup" whose key matches most rows is a full read too: `merged_into_id=?`
            # (IS NULL) took the place of a table scan in the ticket page's OR query.
            equal = search.group(3).count("=?") - search.group(3).count(">=?") - search.group(3).count("<=?")
            stat = _sqlite_stat(cur_stats, search.group(2))
            if equal and len(stat) > equal and stat[equal] * 2 > stat[0]:
                bad.append(f"{names[search.group(1)]}: ~{stat[equal]} of {stat[0]} rows per key ({line})")
    return bad, "\n".join(lines)


def _sqlite_stat(stats: dict[str, str], index: str) -> list[int]:
    """ANALYZE's figures for an index: rows in the table, then rows per key of its first 1, 2… columns."""
    return [int(n) for n in (stats.get(index) or "").split() if n.isdigit()]


def analyze() -> None:
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # every table, as autovacuum keeps them in production


def link_both_ways(ticket: Ticket, agent: User) -> None:
    """Link `ticket` with two tickets `agent` may see, one each way round."""
    mine = selectors.visible_tickets(agent).exclude(pk=ticket.pk)
    TicketLink.objects.create(source=ticket, target=mine.order_by("pk").first())
    TicketLink.objects.create(source=mine.order_by("-pk").first(), target=ticket)


def seeded(size: int) -> dict[str, Any]:
    seed(tickets=size, customers=max(1, size // 10), seed=15, progress=False)
    # A team agent: their visibility adds an OR of team, no team and assignee to every statement.
    agent = User.objects.filter(role=Role.AGENT, username__startswith="seed_agent_").order_by("pk").first()
    ticket = Ticket.objects.filter(assignee=agent).order_by("-updated_at").first()
    link_both_ways(ticket, agent)
    return {"lead": User.objects.get(username="seed_lead"), "agent": agent, "ticket": ticket}


@dataclass
class Page:
    name: str
    url: str
    budget: int  # most SQL statements allowed: today's count and a small margin
    form: dict | None = None  # POST these
    bounded: bool = False  # its reads are capped by a LIMIT by design (the capped view counts)


def pages(ticket: Ticket) -> list[Page]:
    customer = ticket.customer_id
    return [
        Page("queue", "/agent/", 11),
        Page("queue: all", "/agent/?view=all", 11),
        Page("queue: mine", "/agent/?view=mine", 11),
        Page("queue: unassigned", "/agent/?view=unassigned", 11),
        Page("queue: open, high", "/agent/?view=all&status=open&priority=high", 11),
        # COUNT over `LIMIT 1000`: a view with fewer matches than the cap is counted exactly.
        Page("queue: view counts", "/agent/counts/", 14, bounded=True),
        # 25–27 at first; each app's panel (SLA, triage, knowledge, macros, mail, CSAT) adds its own;
        # department tasks (the tasks, the kinds one may ask for) and the open-incident badge, 33.
        Page("ticket page", f"/agent/tickets/{ticket.pk}/", 35),
        Page("search: words", "/agent/search/?q=退款", 16),
        Page("search: ticket number", f"/agent/search/?q={ticket.number}", 9),
        Page("customer card: their tickets", f"/agent/?view=all&customer={customer}", 11),
        # The customer's whole record (customer 360), and the API's rate counter writes.
        Page("customer card: API", f"/api/customers/{customer}", 12),
        Page("API list", "/api/tickets?limit=50", 9),
        Page("API ticket", f"/api/tickets/{ticket.pk}", 12),
        Page("export: customer", "/agent/export/", 9, form={"format": "csv", "customer": customer}),
        Page(
            "export: pending, urgent",
            "/agent/export/",
            9,
            form={"format": "csv", "view": "pending", "priority": "urgent"},
        ),
    ]


def test_agent_pages_never_read_a_whole_big_table():
    data = seeded(SIZE)
    analyze()
    problems, counts = [], {}
    for who in ("lead", "agent"):
        user = data[who]
        client = Client()
        client.force_login(user)
        for page in pages(data["ticket"]):
            name = f"{who}, {page.name}"
            statements: list[Statement] = []
            with (
                CaptureQueriesContext(connection) as captured,
                connection.execute_wrapper(record_selects(statements)),
            ):
                response = client.post(page.url, page.form) if page.form else client.get(page.url)
            allowed = can_export(user) if page.url.startswith("/agent/export/") else True
            assert response.status_code == (200 if allowed else 403), f"{name}: HTTP {response.status_code}"
            counts[name] = len(captured.captured_queries)
            if counts[name] > page.budget:
                problems.append(f"{name}: {counts[name]} SQL statements, budget {page.budget}")
            for statement in statements:
                bad, plan = full_reads(statement, bounded=page.bounded)
                if bad:
                    problems.append(f"{name}: {', '.join(bad)}\n  {statement.sql[:600]}\n{plan}")
    assert not problems, "\n\n".join(problems) + f"\n\nstatements per page: {counts}"


def test_linked_tickets_show_from_both_sides_and_only_visible_ones():
    data = seeded(60)
    ticket, agent = data["ticket"], data["agent"]
    linked = selectors.list_linked_tickets(agent, ticket)
    expected = set(TicketLink.objects.filter(source=ticket).values_list("target_id", flat=True)) | set(
        TicketLink.objects.filter(target=ticket).values_list("source_id", flat=True)
    )
    assert {t.pk for t in linked} == expected and len(expected) == 2
    assert [t.pk for t in linked] == sorted(expected, reverse=True)
    # A linked ticket of another team, assigned to someone else, is not the agent's to see.
    hidden = linked[0]
    Ticket.objects.filter(pk=hidden.pk).update(
        team=Team.objects.exclude(members=agent).order_by("pk").first(), assignee=None
    )
    assert [t.pk for t in selectors.list_linked_tickets(agent, ticket)] == [linked[1].pk]
    assert {t.pk for t in selectors.list_linked_tickets(data["lead"], ticket)} == expected
