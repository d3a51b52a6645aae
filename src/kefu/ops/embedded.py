"""`kefu up`: first-start preparation and a small supervisor for the web and worker processes.

The preparation is a plain function so it can be tested without serving. The supervisor keeps
its children in its own process group: Ctrl-C in a terminal reaches all of them, and a SIGINT or
SIGTERM sent to the parent alone is forwarded, so nothing is left running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from .models import Marker

DEMO_MARKER = "demo_loaded"


@dataclass
class Prepared:
    demo_loaded_now: bool  # this start loaded the demo
    has_demo: bool  # the demo is in the database (now or from an earlier start)


def prepare(*, demo: bool = True, demo_tickets: int | None = None, progress: bool = True) -> Prepared:
    """Migrate, collect static files once, and load the demo on the first start of an empty install."""
    call_command("migrate", interactive=False, verbosity=0)
    static_root = Path(settings.STATIC_ROOT)
    if not static_root.exists() or not any(static_root.iterdir()):
        call_command("collectstatic", interactive=False, verbosity=0)
    marker = Marker.objects.filter(name=DEMO_MARKER).first()
    if marker is not None:
        return Prepared(demo_loaded_now=False, has_demo=marker.value == "loaded")
    if not demo:
        return Prepared(demo_loaded_now=False, has_demo=False)
    from kefu.tickets.models import Ticket

    if Ticket.objects.exists():  # an install with real data is never filled with the demo
        Marker.objects.get_or_create(name=DEMO_MARKER, defaults={"value": "skipped"})
        return Prepared(demo_loaded_now=False, has_demo=False)
    from .demo import DEFAULT_TICKETS, load_demo

    load_demo(tickets_count=demo_tickets or DEFAULT_TICKETS, progress=progress)
    Marker.objects.get_or_create(name=DEMO_MARKER, defaults={"value": "loaded"})
    return Prepared(demo_loaded_now=True, has_demo=True)


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
    """Run child processes until one exits or we are asked to stop; then stop them all."""

    def __init__(self, commands: dict[str, list[str]], *, grace: float = 10.0):
        self.commands = commands
        self.grace = grace
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def _ask_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._ask_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in self.commands.items():
                self.children[name] = subprocess.Popen(command)
            failed = None
            while not self.stopping and failed is None:
                time.sleep(0.2)
                failed = next((n for n, p in self.children.items() if p.poll() is not None), None)
            return self.stop(failed)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self, failed: str | None = None) -> int:
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
        if failed is not None:
            code = self.children[failed].returncode
            sys.stderr.write(f"kefu: the {failed} process exited (code {code}); stopped the others.\n")
            return code or 1
        return 0
