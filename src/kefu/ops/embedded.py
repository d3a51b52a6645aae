"""`kefu up`: first-start preparation and a small supervisor for the web and worker processes.

The preparation is a plain function so it can be tested without serving; it reports each step on
a line of its own with its time. The supervisor starts each child in a process group of its own:
Ctrl-C in a terminal (or a SIGINT/SIGTERM to the parent) reaches the supervisor alone, which stops
every child with one SIGTERM, so nothing is left running and nothing prints a traceback; a child
also ends if the supervisor is killed outright (`kefu.cli.die_with_supervisor`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from kefu.cli import SUPERVISOR_ENV

from .models import Marker
from .progress import Steps

DEMO_MARKER = "demo_loaded"
LOADING = "loading"  # the demo load began and has not finished


@dataclass
class Prepared:
    demo_loaded_now: bool  # this start loaded the demo
    has_demo: bool  # the demo is in the database (now or from an earlier start)
    # Demo steps left for `finish_demo()` (with `prepare(later=True)`): (progress name, function).
    later: list[tuple[str, Callable[[], None]]] = field(default_factory=list)


def prepare(
    *, demo: bool = True, demo_tickets: int | None = None, progress: bool | Steps = True, later: bool = False
) -> Prepared:
    """Migrate, collect static files once, and load the demo on the first start of an empty install.

    Each step is reported on one line with its time (`progress`: a `Steps`, True for stderr). A demo
    load that was interrupted (Ctrl-C, a crash) is finished by the next start: the marker says
    "loading" until the whole demo is in, and loading it again only adds what is missing.

    With `later`, the demo steps the first page does not need (the triage models) are returned in
    `Prepared.later` instead of run; `finish_demo()` runs them and marks the demo loaded."""
    steps = progress if isinstance(progress, Steps) else Steps(sys.stderr if progress else None)
    with steps.step("migrate"):
        call_command("migrate", interactive=False, verbosity=0)
    static_root = Path(settings.STATIC_ROOT)
    if not static_root.exists() or not any(static_root.iterdir()):
        with steps.step("static files"):
            call_command("collectstatic", interactive=False, verbosity=0)
    marker = Marker.objects.filter(name=DEMO_MARKER).first()
    if marker is not None and (marker.value != LOADING or not demo):
        return Prepared(demo_loaded_now=False, has_demo=marker.value == "loaded")
    if marker is None:
        if not demo:
            return Prepared(demo_loaded_now=False, has_demo=False)
        from kefu.tickets.models import Ticket

        if Ticket.objects.exists():  # an install with real data is never filled with the demo
            Marker.objects.get_or_create(name=DEMO_MARKER, defaults={"value": "skipped"})
            return Prepared(demo_loaded_now=False, has_demo=False)
        Marker.objects.get_or_create(name=DEMO_MARKER, defaults={"value": LOADING})
    from .demo import DEFAULT_TICKETS, load_demo

    left: list[tuple[str, Callable[[], None]]] = []
    load_demo(tickets_count=demo_tickets or DEFAULT_TICKETS, progress=steps, later=left if later else None)
    if not left:
        Marker.objects.filter(name=DEMO_MARKER).update(value="loaded")
    return Prepared(demo_loaded_now=True, has_demo=True, later=left)


def finish_demo(prepared: Prepared, steps: Steps) -> bool:
    """Run the demo steps `prepare(later=True)` left, then mark the demo loaded; False if one failed
    (reported; the marker still says "loading", so the next start runs them again)."""
    name = ""
    try:
        for name, run in prepared.later:
            with steps.step(f"{name} (in the background)", live=False):
                run()
        Marker.objects.filter(name=DEMO_MARKER).update(value="loaded")
        return True
    except Exception as err:  # the web and workers are up; the next start tries again
        steps.line(f"{name} failed ({err}); the next start tries again")
        return False


def finish_demo_in_background(prepared: Prepared, steps: Steps) -> threading.Thread:
    """`finish_demo()` in a thread of its own (with its own database connection, closed at the end)."""

    def run() -> None:
        try:
            finish_demo(prepared, steps)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="kefu-demo-later", daemon=True)
    thread.start()
    return thread


def kefu_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kefu.cli", *args]


WEBHOOK_THREADS = 4


def worker_commands() -> dict[str, list[str]]:
    """The background workers of `kefu up`: one for the default queue (SLA sweeps, mail,
    notifications, event handlers) with the scheduler, and one for the webhooks queue.

    A webhook receiver may take up to its deadline to answer; on a worker of their own (threads, so
    one slow receiver does not hold up another) webhooks can never stall the rest (ADR 0007)."""
    from kefu.celery import WEBHOOK_QUEUE, default_queue

    return {
        "worker": kefu_command(
            "worker", "--beat", "--pool", "solo", "--queues", default_queue(), "--hostname", "kefu@%h"
        ),
        "webhooks": kefu_command(
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(WEBHOOK_THREADS),
            "--queues",
            WEBHOOK_QUEUE,
            "--hostname",
            "webhooks@%h",
        ),
    }


class Supervisor:
    """Run child processes until one exits or we are asked to stop; then stop them all, quietly.

    Each child runs in a process group of its own, so Ctrl-C in a terminal reaches the supervisor
    alone, which then asks every child to stop with one SIGTERM (uvicorn and Celery shut down
    gracefully on it; a child still importing simply ends). A Ctrl-C that reached the children too
    would interrupt a child that is still starting, and Python would print a KeyboardInterrupt
    traceback from it. Children still running after `grace` seconds are killed with their groups.
    """

    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        grace: float = 10.0,
        ready: tuple[str, int] | None = None,
        on_ready: Callable[[float], None] | None = None,
        first: tuple[str, ...] = (),
        first_wait: float = 60.0,
    ):
        self.commands = commands
        self.grace = grace
        self.ready = ready  # (host, port) that answers once the web is up
        self.on_ready = on_ready  # called once with the seconds it took
        # Started alone, the others once `ready` answers (or after `first_wait` seconds): on a small
        # machine the first page comes sooner when the web does not share the CPU while starting.
        self.first = first if ready is not None else ()
        self.first_wait = first_wait
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def _ask_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._ask_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            started = time.monotonic()
            self._start([n for n in self.commands if n in self.first] or list(self.commands))
            failed = None
            waiting = self.ready is not None
            while not self.stopping and failed is None:
                time.sleep(0.2)
                failed = next((n for n, p in self.children.items() if p.poll() is not None), None)
                if waiting and failed is None and _answers(*self.ready):
                    waiting = False
                    self._start([n for n in self.commands if n not in self.children])
                    if self.on_ready is not None:
                        self.on_ready(time.monotonic() - started)
                elif waiting and time.monotonic() - started > self.first_wait:
                    self._start([n for n in self.commands if n not in self.children])
            return self.stop(failed)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, names: list[str]) -> None:
        env = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
        for name in names:
            if not self.stopping:
                self.children[name] = subprocess.Popen(self.commands[name], env=env, process_group=0)

    def stop(self, failed: str | None = None) -> int:
        # Asked twice (a second Ctrl-C while stopping): still stop in order, quietly.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()  # SIGTERM: uvicorn and celery both shut down gracefully on it
        deadline = time.monotonic() + self.grace
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for child in self.children.values():  # what a child left behind (e.g. Celery's beat process)
            while _group_alive(child.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
        if failed is not None:
            code = self.children[failed].returncode
            sys.stderr.write(f"kefu: the {failed} process exited (code {code}); stopped the others.\n")
            return code or 1
        return 0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
