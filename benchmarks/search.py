"""Ticket search against a full substring scan, per term frequency and kind of user (issue 2 item 11).

Runs `selectors.search_tickets` in-process on a data set seeded by `benchmarks/queue.py` (or
`kefu seed`) and prints p50/p95 of N calls for a common, a mid-frequency and a rare Chinese term and an
English term, as the supervisor `seed_lead`, a team-scoped agent and a portal customer, next to the
naive search (`LIKE '%term%'` over every subject and message body, median of 3) and the ratio. The
`same` column checks the page against its definition (docs/adr/0002), computed the slow way without
the index walk: the newest CANDIDATES matches the user may see, found by a plain scan of every match
through `visible_tickets`, ranked, top 50 — same tickets in the same order ("yes"), or not.

    python benchmarks/search.py                      # SQLite, benchmarks/var/sqlite-1000000
    python benchmarks/search.py --db postgres --size 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR = HERE / "var"
# Running this file puts benchmarks/ first on sys.path, where queue.py would shadow the stdlib module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
TERMS = ("退款", "围巾", "常伟", "refund")  # ~25 %, ~3 %, ~0.01 % of tickets, English ~1.5 %


def setup(db: str, size: int, pg_url: str, database: str = "") -> None:
    for key in [k for k in os.environ if k.startswith("KEFU_")]:
        del os.environ[key]
    os.environ["KEFU_DATA_DIR"] = str(VAR / f"{db}-{size}")
    os.environ["KEFU_LOG_LEVEL"] = "WARNING"
    if db == "postgres":
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"
        os.environ["KEFU_DATABASE_URL"] = f"{pg_url.rstrip('/')}/{database or f'kefu_bench_{label}'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()


def users():
    from django.db.models import Count

    from kefu.accounts.models import Role, User
    from kefu.customers.models import Customer

    lead = User.objects.get(username="seed_lead")
    agent = (
        User.objects.filter(username__startswith="seed_agent_", role=Role.AGENT).order_by("username").first()
    )
    # The customer with the most tickets, given a portal account once (the seed makes none).
    customer = Customer.objects.annotate(n=Count("tickets")).order_by("-n").first()
    if customer.user_id is None:
        customer.user = User.objects.create(username=f"bench_customer_{customer.pk}", role=Role.CUSTOMER)
        customer.save(update_fields=["user"])
    return {"supervisor": lead, "team agent": agent, "customer": customer.user}


def scan_ms(word: str) -> float:
    from django.db import connection

    sql = (
        "SELECT COUNT(*) FROM (SELECT id FROM tickets_ticket WHERE subject LIKE %s "
        "UNION SELECT ticket_id FROM tickets_message WHERE body_text LIKE %s) AS hits"
    )
    times = []
    with connection.cursor() as cur:
        for _ in range(3):
            started = time.perf_counter()
            cur.execute(sql, [f"%{word}%", f"%{word}%"])
            cur.fetchone()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def reference(user, term: str, limit: int = 50) -> list[int]:
    """The page by its definition, the slow way: every visible match, newest CANDIDATES ranked."""
    from django.db import connection

    from kefu.tickets import search, selectors

    q = search.parse(term, include_internal=selectors.can_see_internal(user))
    if q is None:
        return []
    visible_sql, params = selectors.visible_tickets(user).values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            sql = "SELECT rowid FROM tickets_search WHERE tickets_search MATCH %s AND rowid IN"
        else:
            sql = (
                "SELECT ticket_id FROM tickets_search WHERE doc @@ to_tsquery('simple', %s) AND ticket_id IN"
            )
        order = "rowid" if connection.vendor == "sqlite" else "ticket_id"
        cur.execute(
            f"{sql} ({visible_sql}) ORDER BY {order} DESC LIMIT %s",
            [q.expr(), *params, selectors.CANDIDATES],
        )
        candidates = [row[0] for row in cur.fetchall()]
    return [tid for tid, _rank in search.rank(q, candidates, limit, matched=True)]


def timed(user, term: str, n: int) -> tuple[float, float, int, bool]:
    from kefu.tickets.selectors import search_tickets

    for _ in range(3):
        hits = search_tickets(user, term)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        search_tickets(user, term)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    same = [h.ticket.pk for h in hits] == reference(user, term)
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], len(hits), same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url", default=os.environ.get("KEFU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="", help="PostgreSQL database name (default kefu_bench_<size>)")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--terms", default=",".join(TERMS))
    parser.add_argument("--no-scan", action="store_true", help="skip the substring scans (slow at 1M)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    setup(args.db, args.size, args.pg_url, args.database)
    people = users()
    print(f"{args.db}, {args.size:,} tickets, {args.requests} searches per row", flush=True)
    print(
        f"{'term':8} {'user':11} {'hits':>4} {'p50 ms':>8} {'p95 ms':>8} {'scan ms':>8} {'scan/p95':>8} same"
    )
    for term in args.terms.split(","):
        scan = None if args.no_scan else scan_ms(term)
        for who, user in people.items():
            p50, p95, hits, same = timed(user, term, args.requests)
            ratio = f"{scan / p95:7.1f}x" if scan else "       -"
            scan_txt = f"{scan:8.0f}" if scan else "       -"
            print(
                f"{term:8} {who:11} {hits:4d} {p50:8.1f} {p95:8.1f} {scan_txt} {ratio} {'yes' if same else 'NO'}",
                flush=True,
            )


if __name__ == "__main__":
    main()
