"""Queue, API list and search latency at 10k and 1M tickets, through the real HTTP stack.

For each database (SQLite file under benchmarks/var/, or PostgreSQL databases kefu_bench_10k /
kefu_bench_1m) and each size: seed once with `kefu seed` (reused on later runs), start `kefu web`
(uvicorn) on a free port, log in as the seed supervisor, and time N requests of each scenario.
Prints p50/p95, the SQL queries per request (X-Query-Count, enabled by KEFU_QUERY_COUNT_HEADER=1),
the largest/smallest growth ratio, and search against a full LIKE '%…%' scan timed directly in SQL.

    python benchmarks/queue.py --sizes 10000,1000000 --db sqlite
    python benchmarks/queue.py --db both --pg-url postgres://postgres@127.0.0.1:5432

See benchmarks/README.md.
"""

# ruff: noqa: E402  (the path fix below must run before the other imports)
from __future__ import annotations

import sys

# This file is named queue.py: drop its folder from the path so `import queue` finds the stdlib.
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rpartition("/")[0])]

import argparse
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
VAR = HERE / "var"
PASSWORD = "kefu-demo-2026"
USERNAME = "seed_lead"  # the supervisor `kefu seed` creates: sees every ticket
TICKET_PAGE = "ticket page /agent/tickets/<id>/"
BASELINE = "[baseline]"


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


@dataclass
class Result:
    name: str
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    status: int = 0
    note: str = ""

    def pct(self, p: float) -> float:
        ordered = sorted(self.times)
        return (
            ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000
            if ordered
            else float("nan")
        )


def dataset_env(db: str, size: int, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    data_dir = VAR / f"{db}-{size}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        KEFU_DATA_DIR=str(data_dir),
        KEFU_QUERY_COUNT_HEADER="1",
        KEFU_API_RATE="1000000/60",  # the benchmark is one client hammering the API on purpose
        KEFU_API_RATE_PER_IP="1000000/60",
        KEFU_LOG_LEVEL="WARNING",
    )
    if db == "postgres":
        env["KEFU_DATABASE_URL"] = f"{pg_url.rstrip('/')}/kefu_bench_{label(size)}"
    return env


def ensure_pg_database(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url.rstrip('/')}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def kefu(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "kefu.cli", *args], env=env, check=True)


def seed(db: str, size: int, env: dict[str, str], pg_url: str) -> None:
    if db == "postgres":
        ensure_pg_database(pg_url, f"kefu_bench_{label(size)}")
    kefu(env, "migrate", "-v0")
    started = time.monotonic()
    kefu(env, "seed", "--tickets", str(size), "--customers", str(max(1, size // 10)), "--seed", "1")
    print(f"  seed check/top-up took {time.monotonic() - started:.0f}s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kefu.cli",
            "web",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a loaded machine takes a while to import everything
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


def login(client: httpx.Client) -> None:
    page = client.get("/accounts/login/")
    token = client.cookies.get("csrftoken") or ""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = client.post(
        "/accounts/login/",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": match.group(1) if match else token,
        },
        headers={"Referer": str(client.base_url) + "/accounts/login/"},
    )
    if response.status_code not in (302, 303) or "sessionid" not in client.cookies:
        raise SystemExit(f"login as {USERNAME} failed ({response.status_code})")


def measure(clients: list[httpx.Client], name: str, url: str | list[str], n: int) -> list[Result]:
    """n timed GETs of `url` (or of each of a list of urls in turn) on each server, after three
    warm-ups. With two servers (--baseline-src) the requests alternate between them, so a change in
    the machine's load weighs on both alike."""
    results = [Result(name) for _ in clients]
    urls = [url] if isinstance(url, str) else url
    if not urls:
        for result in results:
            result.note = "nothing to open: not measured"
        return results
    for i in range(n + 3):  # three warm-up requests, not counted
        for client, result in zip(clients, results, strict=True):
            if result.note:
                continue
            started = time.perf_counter()
            response = client.get(urls[i % len(urls)])
            elapsed = time.perf_counter() - started
            result.status = response.status_code
            if response.status_code != 200:  # an error, or a redirect to the login page
                result.note = f"HTTP {response.status_code}: not measured"
                result.times.clear()
            elif i >= 3:
                result.times.append(elapsed)
                result.queries.append(int(response.headers.get("X-Query-Count", -1)))
    return results


def deep_cursor(client: httpx.Client, pages: int) -> tuple[str, int]:
    cursor, depth = "", 0
    for _ in range(pages):
        response = client.get("/api/tickets", params={"limit": 50, **({"cursor": cursor} if cursor else {})})
        if response.status_code != 200:
            return "", depth
        nxt = response.json().get("next_cursor")
        if not nxt:
            break
        cursor, depth = nxt, depth + 1
    return cursor, depth


def ticket_pages(client: httpx.Client, count: int = 50) -> list[str]:
    """The ticket pages of the `count` most recently updated tickets (what an agent opens from the queue)."""
    response = client.get("/api/tickets", params={"limit": count})
    if response.status_code != 200:
        return []
    return [f"/agent/tickets/{item['id']}/" for item in response.json()["items"]]


def substring_scan(db: str, env: dict[str, str], word: str) -> float:
    """Seconds for the naive search: LIKE '%word%' over every subject and message body (median of 3)."""
    sql = (
        "SELECT COUNT(*) FROM (SELECT id FROM tickets_ticket WHERE subject LIKE {p} "
        "UNION SELECT ticket_id FROM tickets_message WHERE body_text LIKE {p}) AS hits"
    )
    times = []
    if db == "sqlite":
        conn = sqlite3.connect(Path(env["KEFU_DATA_DIR"]) / "kefu.sqlite3")
        run = lambda: conn.execute(sql.format(p="?"), [f"%{word}%", f"%{word}%"]).fetchone()  # noqa: E731
    else:
        import psycopg

        conn = psycopg.connect(env["KEFU_DATABASE_URL"])
        run = lambda: conn.execute(sql.format(p="%s"), [f"%{word}%", f"%{word}%"]).fetchone()  # noqa: E731
    for _ in range(3):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    conn.close()
    return statistics.median(times)


def bench_dataset(db: str, size: int, args: argparse.Namespace) -> dict[str, Result | float]:
    print(f"\n== {db} · {size:,} tickets", flush=True)
    env = dataset_env(db, size, args.pg_url)
    seed(db, size, env, args.pg_url)
    servers = [start_server(env)]
    if args.baseline_src:  # the same data served from another checkout: the baseline of a change
        path = os.pathsep.join(p for p in (args.baseline_src, env.get("PYTHONPATH", "")) if p)
        servers.append(start_server({**env, "PYTHONPATH": path}))
    clients = [httpx.Client(base_url=base, timeout=120, follow_redirects=False) for _, base in servers]
    try:
        for client in clients:
            login(client)
        client = clients[0]
        n = args.requests
        cursor, depth = deep_cursor(client, args.deep)
        q = args.query
        deep = f"API list page {depth + 1}"
        scenarios: list[tuple[str, Callable[[], str | list[str]]]] = [
            ("agent queue /agent/", lambda: "/agent/"),
            (TICKET_PAGE, lambda: ticket_pages(client)),
            ("API list first page", lambda: "/api/tickets?limit=50"),
            (deep, lambda: f"/api/tickets?limit=50&cursor={cursor}"),
            ("filtered open+high (API)", lambda: "/api/tickets?limit=50&status=open&priority=high"),
            ("filtered open+high (/agent/)", lambda: "/agent/?status=open&priority=high"),
            (f"search {q} (API)", lambda: f"/api/tickets/search?q={q}"),
            (f"search {q} (/agent/search/)", lambda: f"/agent/search/?q={q}"),
        ]
        results: dict[str, Result | float] = {}
        for name, url in scenarios:
            if args.only and not any(word in name for word in args.only.split(",")):
                continue
            measured = measure(clients, name, url(), n)
            results[name] = measured[0]
            if len(measured) > 1:
                measured[1].name = f"{name} {BASELINE}"
                results[measured[1].name] = measured[1]
        if deep in results and not cursor:
            results[deep].note = "no deep cursor (API missing or too few pages)"
    finally:
        for client in clients:
            client.close()
        for server, _ in servers:
            server.terminate()
            server.wait(timeout=30)
    if any(name.startswith("search") for name in results):
        results["scan"] = substring_scan(db, env, args.query)
    for result in results.values():
        if isinstance(result, Result):
            queries = max(result.queries) if result.queries else "-"
            print(
                f"  {result.name:<43} p50 {result.pct(50):8.1f} ms   p95 {result.pct(95):8.1f} ms   "
                f"queries {queries}   {result.note}",
                flush=True,
            )
    if "scan" in results:
        print(
            f"  full substring scan LIKE '%{args.query}%' (SQL)   {results['scan'] * 1000:8.1f} ms",
            flush=True,
        )
    return results


def report(db: str, sizes: list[int], runs: dict[int, dict], query: str) -> None:
    small, large = min(sizes), max(sizes)
    print(f"\n== {db}: summary")
    for size in sizes:
        res = runs[size]
        scan = res.get("scan", 0.0)
        for name, r in res.items():
            if isinstance(r, Result) and name.startswith("search") and r.times:
                print(
                    f"  {size:>9,}  {name:<30} p50 {r.pct(50):8.1f} ms vs scan {scan * 1000:8.1f} ms "
                    f"→ scan/search = {scan * 1000 / r.pct(50):.1f} (target ≥ 25)"
                )
    for which in (TICKET_PAGE, f"{TICKET_PAGE} {BASELINE}"):
        page = {size: runs[size].get(which) for size in sizes}
        if all(isinstance(r, Result) and r.times for r in page.values()):
            figures = "   ".join(f"{label(size)} p50 {page[size].pct(50):.1f} ms" for size in sizes)
            growth = page[large].pct(50) / page[small].pct(50)
            print(
                f"  {which}: {figures}   growth {label(large)}/{label(small)} ×{growth:.2f} "
                f"(targets: ≤ ×1.2, ≤ 40 ms at 1m)"
            )
    if small == large:
        return
    print(f"  growth {label(large)}/{label(small)} (p95 ratio, p50 ratio):")
    for name, r_large in runs[large].items():
        r_small = runs[small].get(name)
        if isinstance(r_large, Result) and isinstance(r_small, Result) and r_large.times and r_small.times:
            print(
                f"    {name:<32} p95 ×{r_large.pct(95) / r_small.pct(95):5.2f}   p50 ×{r_large.pct(50) / r_small.pct(50):5.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,1000000", help="ticket counts, comma-separated")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument(
        "--pg-url", default=os.environ.get("KEFU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per scenario")
    parser.add_argument("--deep", type=int, default=20, help="how many pages deep the cursor scenario goes")
    parser.add_argument("--query", default="退款", help="keyword for the search scenario")
    parser.add_argument(
        "--baseline-src",
        default="",
        help="also serve the same data from this other checkout's src (e.g. the commit before a change) "
        "and time both, requests alternating",
    )
    parser.add_argument(
        "--only",
        default="",
        help="only the scenarios whose name holds one of these words, e.g. 'ticket page'",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        runs = {size: bench_dataset(db, size, args) for size in sizes}
        report(db, sizes, runs, args.query)


if __name__ == "__main__":
    main()
