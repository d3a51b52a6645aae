"""The supervisor overview's 12-month figures over N seeded tickets: cold (the metrics' own SQL),
warm (daily rollups built), and the same headline numbers from DuckDB over the same rows.

    python benchmarks/analytics.py --tickets 100000                      # SQLite
    python benchmarks/analytics.py --tickets 100000 --database postgres  # PostgreSQL (KEFU_BENCH_PG_URL)
    KEFU_DATABASE_URL=postgres://… python benchmarks/analytics.py --tickets 1000000

1. Seeds (or reuses) N tickets with `kefu seed --tickets N --customers N/10 --seed 1`: tickets over
   the past year with their messages and event log (created, replies, the status change that
   solved or closed them). SQLite data sets live in benchmarks/var/analytics-sqlite-N/, PostgreSQL
   ones in the database kefu_bench_analytics_N (created if missing).
2. Cold: with the rollup tables emptied, times `analytics.selectors.overview(start, end)` — the
   function the overview page draws — for the last 12 calendar months (every figure from SQL).
3. Builds the rollups (`analytics.rollups.refresh`, what the periodic task runs), times a second,
   incremental refresh, then times the overview warm (median of --runs) and checks that warm and
   cold give the same headline numbers.
4. Exports the tickets and their events once to DuckDB (benchmarks/var/…/analytics.duckdb) and
   computes the headline numbers there with plain SQL written from the metrics' formulas; prints
   both, the ratio and whether they agree.

The last line is one JSON object: tickets, database, overview_cold_s, overview_warm_s, duckdb_s,
agree (every headline number DuckDB computes equals kefu's), and the details.
Targets (issue 17): warm under 1 s for 12 months over 1M tickets on both databases, within 5× of DuckDB.
"""

# ruff: noqa: E402  (the path fix below must run before the other imports)
from __future__ import annotations

import sys

# benchmarks/ holds a queue.py: drop this folder from the path so `import queue` finds the stdlib.
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rpartition("/")[0])]

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR = HERE / "var"
# Headline figures DuckDB recomputes (the others are timed in the overview but not cross-checked).
CHECKED = (
    "tickets_created",
    "tickets_solved",
    "backlog",
    "first_response_minutes",
    "resolution_hours",
    "reopen_rate",
    "fcr_rate",
)


# --------------------------------------------------------------------------- the data set


def environment(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "KEFU_DATABASE_URL"}
    env["KEFU_LOG_LEVEL"] = "WARNING"
    url = args.database
    if url == "sqlite" or (url is None and not os.environ.get("KEFU_DATABASE_URL")):
        data_dir = VAR / f"analytics-sqlite-{args.tickets}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env["KEFU_DATA_DIR"] = str(data_dir)
        return "sqlite", env
    if url in (None, "postgres"):
        url = os.environ.get("KEFU_DATABASE_URL") if url is None else None
        if not url:
            base = os.environ.get("KEFU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
            url = f"{base}/kefu_bench_analytics_{args.tickets}"
    ensure_pg_database(url)
    env["KEFU_DATABASE_URL"] = url
    data_dir = VAR / f"analytics-postgres-{args.tickets}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env["KEFU_DATA_DIR"] = str(data_dir)
    return "postgresql", env


def ensure_pg_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def kefu(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "kefu.cli", *args], env=env, check=True)


def seed(env: dict[str, str], tickets: int) -> float:
    kefu(env, "migrate", "-v0")
    started = time.monotonic()
    kefu(env, "seed", "--tickets", str(tickets), "--customers", str(max(1, tickets // 10)), "--seed", "1")
    return time.monotonic() - started


def describe_data() -> dict:
    """What `kefu seed` made: tickets, messages, events by kind, surveys if the feedback app exists."""
    from django.apps import apps
    from django.db.models import Count

    from kefu.tickets.models import Message, Ticket, TicketEvent

    found = {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "events": dict(TicketEvent.objects.values_list("kind").annotate(n=Count("pk")).order_by()),
    }
    if apps.is_installed("kefu.feedback"):
        models = [m for m in apps.get_app_config("feedback").get_models() if "survey" in m.__name__.lower()]
        found["surveys"] = {m.__name__: m.objects.count() for m in models}
    else:
        found["surveys"] = None
    return found


# --------------------------------------------------------------------------- kefu's side


def period() -> tuple[date, date]:
    """The last 12 calendar months, this one included (to today)."""
    from kefu.analytics import rollups

    today = rollups.today()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), today


def clear_rollups() -> None:
    from kefu.analytics.models import MetricDay, RollupState

    MetricDay.objects.all().delete()
    RollupState.objects.all().delete()


def timed(fn, runs: int = 1):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


# --------------------------------------------------------------------------- DuckDB's side


def _utc(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    return str(value)  # SQLite hands back text already in UTC


def export_to_duckdb(path: Path) -> tuple[float, dict[str, int]]:
    """Tickets and their events, written once to a DuckDB file through CSV (timestamps in UTC)."""
    import duckdb
    from django.db import connection

    from kefu.tickets.models import Ticket, TicketEvent

    counts = {"tickets": Ticket.objects.count(), "events": TicketEvent.objects.count()}
    marker = path.with_suffix(".json")
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == counts:
        return 0.0, counts  # exported before, same rows
    started = time.perf_counter()
    tables = {
        "ticket": (
            Ticket._meta.db_table,
            ["id", "created_at", "first_response_at", "solved_at", "closed_at", "merged_into_id"],
        ),
        "event": (
            TicketEvent._meta.db_table,
            ["id", "ticket_id", "actor_id", "kind", "field", "old_value", "new_value", "created_at"],
        ),
    }
    times = {"created_at", "first_response_at", "solved_at", "closed_at"}
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for name, (table, cols) in tables.items():
        out = path.with_name(f"{name}.csv")
        with out.open("w", newline="") as fh, connection.cursor() as cur:
            writer = csv.writer(fh)
            writer.writerow(cols)
            cur.execute(f"SELECT {', '.join(cols)} FROM {table}")
            while batch := cur.fetchmany(20000):
                writer.writerows(
                    [_utc(v) if c in times else v for c, v in zip(cols, row, strict=True)] for row in batch
                )
        types = {c: "TIMESTAMP" if c in times else "BIGINT" if c.endswith("id") else "VARCHAR" for c in cols}
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header=true, columns={types!r})", [str(out)]
        )
        out.unlink()
    con.close()
    marker.write_text(json.dumps(counts))
    return time.perf_counter() - started, counts


def duckdb_headline(
    path: Path, start: date, end: date, system_user_id: int | None
) -> dict[str, float | None]:
    """The checked headline numbers over local (Asia/Shanghai, UTC+8) days start..end, in DuckDB SQL
    written from each metric's formula (tickets.metrics): counts, means Σ/n, rates ×100."""
    import duckdb

    since = datetime.combine(start, datetime.min.time()) - timedelta(hours=8)  # UTC instants
    until = datetime.combine(end + timedelta(days=1), datetime.min.time()) - timedelta(hours=8)
    con = duckdb.connect(str(path), read_only=True)
    p = {"since": since, "until": until, "system": system_user_id or -1}
    solve = "kind = 'changed' AND field = 'status' AND old_value IN ('new','open','pending','on_hold') AND new_value IN ('solved','closed')"
    reopen = "kind = 'changed' AND field = 'status' AND old_value IN ('solved','closed') AND new_value IN ('new','open','pending','on_hold')"
    day = "CAST(created_at + INTERVAL 8 HOUR AS DATE)"

    def one(sql: str):
        return con.execute(sql, {k: v for k, v in p.items() if f"${k}" in sql}).fetchone()

    out: dict[str, float | None] = {}
    out["tickets_created"] = one(
        "SELECT count(*) FROM ticket WHERE created_at >= $since AND created_at < $until"
    )[0]
    # solved: distinct tickets per local day of the solve, summed over the days
    out["tickets_solved"] = one(
        f"SELECT coalesce(sum(n), 0) FROM (SELECT {day} AS d, count(DISTINCT ticket_id) AS n FROM event "
        f"WHERE {solve} AND created_at >= $since AND created_at < $until GROUP BY d)"
    )[0]
    # backlog on the last day: created − solved + reopened − merged away, up to the end of the window
    out["backlog"] = one(
        f"SELECT (SELECT count(*) FROM ticket WHERE created_at < $until)"
        f" - (SELECT count(*) FROM event WHERE {solve} AND created_at < $until)"
        f" + (SELECT count(*) FROM event WHERE {reopen} AND created_at < $until)"
        f" - (SELECT count(*) FROM ticket WHERE merged_into_id IS NOT NULL AND solved_at IS NULL"
        f"    AND closed_at < $until)"
    )[0]
    s, n = one(
        "SELECT sum(epoch(first_response_at - created_at)), count(*) FROM ticket "
        "WHERE first_response_at >= $since AND first_response_at < $until"
    )
    out["first_response_minutes"] = (s / 60 / n) if n else None
    s, n = one(
        f"SELECT sum(epoch(e.created_at - t.created_at)), count(*) FROM event e JOIN ticket t ON t.id = e.ticket_id "
        f"WHERE e.{solve.replace(' AND ', ' AND e.')} AND e.created_at >= $since AND e.created_at < $until"
    )
    out["resolution_hours"] = (s / 3600 / n) if n else None
    con.execute(
        f"CREATE TEMP TABLE solves AS SELECT id, ticket_id, created_at FROM event "
        f"WHERE {solve} AND created_at >= $since AND created_at < $until",
        {"since": since, "until": until},
    )
    reopened = (
        f"EXISTS (SELECT 1 FROM event r WHERE r.ticket_id = s.ticket_id AND r.{reopen.replace(' AND ', ' AND r.')} "
        f"AND r.created_at > s.created_at AND r.created_at <= s.created_at + INTERVAL 7 DAY)"
    )
    num, den = one(f"SELECT count(*) FILTER (WHERE {reopened}), count(*) FROM solves s")
    out["reopen_rate"] = (100.0 * num / den) if den else None
    # first-contact resolution: first solves with one person reply, at most one assignment, not reopened in 7 days
    num, den = one(
        f"""
        SELECT count(*) FILTER (WHERE replies = 1 AND assignments <= 1 AND NOT reopened), count(*) FROM (
          SELECT s.id,
            (SELECT count(*) FROM event r WHERE r.ticket_id = s.ticket_id AND r.kind = 'replied'
               AND (r.actor_id IS NULL OR r.actor_id <> $system) AND r.created_at <= s.created_at) AS replies,
            (SELECT count(*) FROM event a WHERE a.ticket_id = s.ticket_id AND a.kind = 'assigned'
               AND a.new_value <> '' AND a.created_at <= s.created_at) AS assignments,
            {reopened} AS reopened
          FROM solves s
          WHERE NOT EXISTS (SELECT 1 FROM event x WHERE x.ticket_id = s.ticket_id
                            AND x.{solve.replace(" AND ", " AND x.")} AND x.created_at < s.created_at)
        )"""
    )
    out["fcr_rate"] = (100.0 * num / den) if den else None
    con.close()
    return out


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--database",
        default=None,
        help="sqlite, postgres, or a postgres:// URL (default: KEFU_DATABASE_URL if set, else SQLite)",
    )
    parser.add_argument("--runs", type=int, default=3, help="warm runs (the median is reported)")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument(
        "--no-seed", action="store_true", help="use the data set as it is (no `kefu seed` top-up)"
    )
    args = parser.parse_args()

    vendor, env = environment(args)
    print(f"== analytics overview · {args.tickets:,} seeded tickets · {vendor}", flush=True)
    seed_s = 0.0 if args.no_seed else seed(env, args.tickets)
    os.environ.update(env)
    if "KEFU_DATABASE_URL" not in env:
        os.environ.pop("KEFU_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from kefu.accounts.models import SYSTEM_USERNAME, User
    from kefu.analytics import rollups, selectors
    from kefu.core import metrics

    data = describe_data()
    print(f"  seed check/top-up {seed_s:.0f}s; data: {json.dumps(data, ensure_ascii=False)}")
    if data["surveys"] is None:
        print("  surveys: absent (the feedback app is not installed): CSAT and NPS read 'not available'")
    start, end = period()
    missing = [
        k for k in (*selectors.HEADLINE, *selectors.TRENDS) if k not in {m.key for m in metrics.all_metrics()}
    ]
    print(f"  period {start} … {end}; metrics not registered yet: {', '.join(missing) or 'none'}")

    clear_rollups()
    cold_s, cold = timed(lambda: selectors.overview(start, end))
    print(f"  overview cold (every figure from SQL)        {cold_s:8.3f} s", flush=True)
    build_s, built = timed(lambda: rollups.refresh())
    print(
        f"  rollups built (refresh, whole history)       {build_s:8.3f} s  ({built.rows:,} rows)", flush=True
    )
    incr_s, _ = timed(lambda: rollups.refresh())
    print(f"  rollups refreshed again (incremental)        {incr_s:8.3f} s", flush=True)
    warm_s, warm = timed(lambda: selectors.overview(start, end), runs=args.runs)
    print(f"  overview warm (rollups), median of {args.runs}         {warm_s:8.3f} s", flush=True)
    cold_h, warm_h = cold.headline(), warm.headline()
    rollups_agree = all(same(cold_h[k], warm_h[k]) for k in cold_h)
    print(f"  cold → warm ×{cold_s / warm_s:,.0f}; rollups give the SQL's numbers: {rollups_agree}")

    duck_s = export_s = None
    duck: dict[str, float | None] = {}
    agree = rollups_agree
    if not args.no_duckdb:
        path = Path(env["KEFU_DATA_DIR"]) / "analytics.duckdb"
        export_s, counts = export_to_duckdb(path)
        print(f"  exported to DuckDB once: {counts} in {export_s:.1f}s (0 = reused)")
        system = User.objects.filter(username=SYSTEM_USERNAME).values_list("pk", flat=True).first()
        duck_s, duck = timed(lambda: duckdb_headline(path, start, end, system), runs=args.runs)
        print(f"  DuckDB headline numbers, median of {args.runs}         {duck_s:8.3f} s")
        print(f"  warm / DuckDB = {warm_s / duck_s:.2f} (target ≤ 5)")
    print(f"\n  {'figure':<28}{'kefu (warm)':>16}{'kefu (cold)':>16}{'DuckDB':>16}  same")
    for key in selectors.HEADLINE:
        fig = warm.figures[key]
        shown = "n/a" if not fig.available else ("-" if fig.value is None else f"{fig.value:,.4f}")
        cold_shown = "-" if cold_h[key] is None else f"{cold_h[key]:,.4f}"
        if key in duck:
            d = duck[key]
            ok = same(warm_h[key], d)
            agree = agree and ok
            print(f"  {key:<28}{shown:>16}{cold_shown:>16}{('-' if d is None else f'{d:,.4f}'):>16}  {ok}")
        else:
            print(f"  {key:<28}{shown:>16}{cold_shown:>16}{'(not checked)':>16}")
    result = {
        "tickets": data["tickets"],
        "database": vendor,
        "period": [str(start), str(end)],
        "overview_cold_s": round(cold_s, 4),
        "overview_warm_s": round(warm_s, 4),
        "rollup_build_s": round(build_s, 3),
        "rollup_refresh_s": round(incr_s, 3),
        "duckdb_s": None if duck_s is None else round(duck_s, 4),
        "duckdb_export_s": None if export_s is None else round(export_s, 2),
        "warm_vs_duckdb": None if not duck_s else round(warm_s / duck_s, 3),
        "agree": bool(agree and (args.no_duckdb or duck)),
        "rollups_agree": rollups_agree,
        "checked": [k for k in CHECKED if k in duck],
        "surveys": data["surveys"] is not None,
        "headline": {k: warm_h[k] for k in selectors.HEADLINE},
        "duckdb": duck,
    }
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
