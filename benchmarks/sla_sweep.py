"""SLA sweep time at 10k and at 1M open tickets with running timers (issue 5; target ratio ≤ 1.5).

For each size, a database of its own (SQLite file under benchmarks/var/sla-<size>/, or the
PostgreSQL database kefu_bench_sla_<size>) gets N open tickets and one running SLA timer each,
bulk-inserted in SQL (reused on later runs). A fixed number of timers (--due, default 200) are due
now; the rest fall due from an hour to 30 days later. The sweep then runs for real (claims, breach
notifications to a supervisor) inside a transaction that is rolled back, --repeat times per round;
the sizes alternate over --rounds rounds (a shared machine's load hits both). Prints the median and
best sweep time per size, the time of the indexed read of due timers alone, and the ratios
largest / smallest.

    python benchmarks/sla_sweep.py                       # SQLite, 10k and 1M
    python benchmarks/sla_sweep.py --db postgres --pg-url postgres://postgres@127.0.0.1:5432
    python benchmarks/sla_sweep.py --sizes 10000,100000 --due 100
"""

# ruff: noqa: E402  (the path fix below must run before the other imports)
from __future__ import annotations

import sys

# benchmarks/ holds a queue.py: drop this folder from the path so `import queue` finds the stdlib.
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rpartition("/")[0])]

import argparse
import json
import os
import statistics
import subprocess
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR = HERE / "var"


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


# --------------------------------------------------------------------------- child: one size


def _series(vendor: str, n: int) -> tuple[str, str]:
    """(WITH prefix, FROM clause) producing x = 1..n."""
    if vendor == "postgresql":
        return "", f"generate_series(1, {n}) AS s(x)"
    return f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) ", "s"


def prepare(size: int, due: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from kefu.accounts.models import Role, User
    from kefu.core.clock import now
    from kefu.customers.models import Customer
    from kefu.sla.models import Metric, SlaPolicy, SlaTimer
    from kefu.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    User.objects.get_or_create(username="bench_lead", defaults={"role": Role.SUPERVISOR})
    policy, _ = SlaPolicy.objects.get_or_create(name="bench", defaults={"notify_on_breach": True})
    current = now()
    vendor = connection.vendor
    if Ticket.objects.count() != size or SlaTimer.objects.count() != size:
        started = time.monotonic()
        with transaction.atomic():
            SlaTimer.objects.all().delete()
            Ticket.objects.all().delete()
            customer, _ = Customer.objects.get_or_create(name="压测客户", email="bench@example.com")
            with_, from_ = _series(vendor, size)
            stamp = current.isoformat(sep=" ") if vendor == "sqlite" else current
            with connection.cursor() as cur:
                cur.execute(
                    f"{with_}INSERT INTO tickets_ticket (id, created_at, updated_at, subject, customer_id, channel,"
                    " type, priority, status, version) "
                    f"SELECT x, %s, %s, '压测工单', %s, 'web', 'consultation', 'normal', 'open', 1 FROM {from_}",
                    [stamp, stamp, customer.pk],
                )
                cur.execute(
                    f"{with_}INSERT INTO sla_slatimer (ticket_id, policy_id, metric, state, business_time,"
                    " target_seconds, started_at) "
                    f"SELECT x, %s, %s, 'running', %s, 7200, %s FROM {from_}",
                    [policy.pk, Metric.RESOLUTION, False, stamp],
                )
        print(f"  inserted {size} tickets and timers in {time.monotonic() - started:.0f}s", file=sys.stderr)
    # The same `due` timers are due now; the others later (an hour to 30 days), re-spread only when
    # they are getting close (the sweeps measured below are rolled back, so the table stays as is).
    from django.db.models import Min

    from kefu.sla.models import SlaTimer

    earliest = SlaTimer.objects.filter(ticket_id__gt=due).aggregate(m=Min("check_at"))["m"]
    spread = earliest is None or earliest < current + timedelta(minutes=30)
    with transaction.atomic(), connection.cursor() as cur:
        if vendor == "postgresql":
            later = "%s + (60 + id %% 43200) * interval '1 minute'"
            past = "%s - interval '1 minute'"
        else:
            later = "datetime(%s, '+' || (60 + id % 43200) || ' minutes')"
            past = "datetime(%s, '-1 minutes')"
        stamp = current.strftime("%Y-%m-%d %H:%M:%S") if vendor == "sqlite" else current
        if spread:
            cur.execute(
                f"UPDATE sla_slatimer SET state = 'running', warned_at = NULL, breached_at = NULL,"
                f" due_at = {later}, check_at = {later} WHERE ticket_id > %s",
                [stamp, stamp, due],
            )
        cur.execute(
            f"UPDATE sla_slatimer SET state = 'running', warned_at = NULL, breached_at = NULL,"
            f" due_at = {past}, check_at = {past} WHERE ticket_id <= %s",
            [stamp, stamp, due],
        )
        if spread and vendor != "postgresql":
            cur.execute("ANALYZE")
    if spread and vendor == "postgresql":  # what autovacuum does in production after a mass update
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE sla_slatimer")


def measure(repeat: int) -> dict[str, float]:
    from django.db import transaction

    from kefu.core.clock import now
    from kefu.sla.sweep import sweep

    times, acted = [], 0
    for run in range(repeat + 1):  # the first run warms caches and is not counted

        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                started = time.perf_counter()
                result = sweep(at=now(), limit=100000)
                if run:
                    times.append(time.perf_counter() - started)
                acted = result.breached
                raise Rollback
        except Rollback:
            pass
    from kefu.sla.models import SlaTimer

    finds = []
    for _ in range(21):  # the one part that could grow with the table: the indexed read of due timers
        started = time.perf_counter()
        list(
            SlaTimer.objects.filter(check_at__lte=now())
            .order_by("check_at")
            .values_list("pk", "check_at")[:100000]
        )
        finds.append(time.perf_counter() - started)
    return {
        "times_ms": [t * 1000 for t in times],
        "finds_ms": [t * 1000 for t in finds],
        "breached": acted,
    }


def child(size: int, due: int, repeat: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    django.setup()
    prepare(size, due)
    print(json.dumps(measure(repeat)))


# --------------------------------------------------------------------------- parent


def ensure_pg_database(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url.rstrip('/')}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run_size(db: str, size: int, args: argparse.Namespace) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    data_dir = VAR / f"sla-{db}-{label(size)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(KEFU_DATA_DIR=str(data_dir), KEFU_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="kefu.settings")
    if db == "postgres":
        name = f"kefu_bench_sla_{label(size)}"
        ensure_pg_database(args.pg_url, name)
        env["KEFU_DATABASE_URL"] = f"{args.pg_url.rstrip('/')}/{name}"
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--due",
            str(args.due),
            "--repeat",
            str(args.repeat),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(out.stderr[-2000:])
    if out.returncode:
        raise SystemExit(f"the {label(size)} run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--due", type=int, default=200, help="timers due in each sweep")
    parser.add_argument("--repeat", type=int, default=5, help="sweeps per size and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating the sizes")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.due, args.repeat)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    runs: dict[int, dict] = {size: {"times_ms": [], "finds_ms": [], "breached": 0} for size in sizes}
    # Sizes alternate over several rounds, so a burst of load on a shared machine hits both.
    for round_ in range(args.rounds):
        for size in sizes:
            print(
                f"{args.db} round {round_ + 1}: {size} open tickets with timers, {args.due} due …", flush=True
            )
            r = run_size(args.db, size, args)
            runs[size]["times_ms"] += r["times_ms"]
            runs[size]["finds_ms"] += r["finds_ms"]
            runs[size]["breached"] = r["breached"]
    summary = {}
    for size in sizes:
        r = runs[size]
        summary[size] = {
            "median": statistics.median(r["times_ms"]),
            "best": min(r["times_ms"]),
            "find": statistics.median(r["finds_ms"]),
        }
        s_ = summary[size]
        print(
            f"{label(size):>4}: sweep median {s_['median']:.1f} ms, best {s_['best']:.1f} ms"
            f" ({r['breached']} escalated per sweep); finding the due timers: {s_['find']:.2f} ms"
        )
    small, large = summary[min(sizes)], summary[max(sizes)]
    print(
        f"ratio {label(max(sizes))} / {label(min(sizes))} (baseline: the same sweep at {label(min(sizes))};"
        f" target ≤ 1.5): median {large['median'] / small['median']:.2f}, best {large['best'] / small['best']:.2f};"
        f" finding the due timers alone {large['find'] / small['find']:.2f}"
    )


if __name__ == "__main__":
    main()
