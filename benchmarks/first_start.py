"""The first `kefu up` in an empty folder: time per step, until /healthz answers, then Ctrl-C.

    python benchmarks/first_start.py            # one run
    python benchmarks/first_start.py --runs 3   # three, each in a fresh folder

Runs the real `kefu up` (embedded mode: SQLite, the demo, web + workers + scheduler + mail receiver)
in a fresh temporary folder, reads its progress lines ("  migrate … 2.1 s"), waits until /healthz
answers, and prints the time of each step, the total and its ratio to the issue's baseline (115 s,
issue 14). Then it stops `kefu up` the way a terminal's Ctrl-C does (SIGINT to its process group)
and reports whether it stopped cleanly (exit 0, no traceback, no process left).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASELINE = 115.0  # seconds to the first page, issue 14
STEP = re.compile(r"^  (?P<name>.+?) … (?P<seconds>\d+\.\d) s$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def run_once(timeout: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="kefu-first-start-"))
    port, mail_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}  # embedded mode
    log = folder / "up.log"
    began = time.monotonic()
    with log.open("wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "kefu.cli", "up", "--port", str(port), "--mail-port", str(mail_port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while not _healthy(port):
            if up.poll() is not None or time.monotonic() - began > timeout:
                raise SystemExit(f"kefu up did not answer in {timeout:.0f} s:\n{log.read_text()}")
            time.sleep(0.2)
        total = time.monotonic() - began
        # Then everything else: both Celery workers ready and the demo's background steps done.
        while time.monotonic() - began < timeout and not _everything_up(log.read_text(errors="replace")):
            time.sleep(0.2)
        everything = time.monotonic() - began
        text = log.read_text(errors="replace")
        steps = [(m["name"], float(m["seconds"])) for m in map(STEP.match, text.splitlines()) if m]
        children = _children(up.pid)
        # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
        os.killpg(up.pid, signal.SIGINT)
        code = up.wait(timeout=60)
        deadline = time.monotonic() + 15
        while any(_group_alive(g) for g in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text(errors="replace")
        clean = (
            code == 0
            and "Traceback" not in text
            and "KeyboardInterrupt" not in text
            and not any(_group_alive(g) for g in children)
        )
        return {
            "steps": steps,
            "total": total,
            "everything": everything,
            "exit": code,
            "clean": clean,
            "folder": folder,
        }
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)


def _everything_up(text: str) -> bool:
    """Both Celery workers ready, and the demo steps `kefu up` runs after the first page done (a
    kefu from before issue 14 prints no progress lines and has no such steps)."""
    later = "  web answers …" in text and "demo: " in text
    done = "(in the background) …" in text or "the next start tries again" in text
    return text.count(" ready.") >= 2 and (not later or done)


def _children(pid: int) -> list[int]:
    """The processes `kefu up` started (each leads a process group of its own)."""
    ps = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in ps.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    options = parser.parse_args()
    totals: list[float] = []
    for n in range(1, options.runs + 1):
        result = run_once(options.timeout)
        totals.append(result["total"])
        print(f"run {n} ({result['folder']})")
        for name, seconds in result["steps"]:
            print(f"  {name:<45} {seconds:6.1f} s")
        print(f"  {'first page (/healthz answers), total':<45} {result['total']:6.1f} s")
        print(f"  {'everything up (workers, background steps)':<45} {result['everything']:6.1f} s")
        print(
            f"  ratio to the {BASELINE:.0f} s baseline of issue 14: {result['total'] / BASELINE:.2f}"
            f"  (target < 60 s: {'met' if result['total'] < 60 else 'NOT met'})"
        )
        print(f"  Ctrl-C: exit {result['exit']}, {'clean' if result['clean'] else 'NOT clean'}")
    if len(totals) > 1:
        print(f"first page over {len(totals)} runs: {min(totals):.1f}–{max(totals):.1f} s")


if __name__ == "__main__":
    main()
