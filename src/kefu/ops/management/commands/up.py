import os
import socket
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.ops.embedded import (
    Supervisor,
    finish_demo_in_background,
    kefu_command,
    prepare,
    worker_commands,
)
from kefu.ops.progress import Steps

from .demo import print_logins


class Command(BaseCommand):
    help = (
        "Run everything on this machine: migrate SQLite in ./var, load the demo on first start, "
        "serve http://127.0.0.1:8000 with the background worker and scheduler. Ctrl-C stops it all."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the Celery worker/scheduler"
        )
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo data on first start")
        parser.add_argument(
            "--mail-port",
            type=int,
            default=2525,
            help="port of the SMTP receiver for incoming mail on 127.0.0.1 (default 2525; 0 turns it off)",
        )

    def handle(self, *args, host, port, no_worker, no_demo, mail_port, **options):
        try:
            sys.exit(
                self._up(host=host, port=port, no_worker=no_worker, no_demo=no_demo, mail_port=mail_port)
            )
        except KeyboardInterrupt:  # Ctrl-C before the children run (during the first start): no traceback
            self.stdout.write("")  # end the step line it interrupted
            self.stderr.write("kefu: stopped. The first start continues where it stopped next time.")
            sys.exit(130)

    def _up(self, *, host, port, no_worker, no_demo, mail_port) -> int:
        began = time.monotonic()
        try:  # fail before the long first start, not after it
            with socket.create_server((host, port)):
                pass
        except OSError as err:
            raise CommandError(f"Cannot listen on {host}:{port} ({err.strerror}). Try --port.")
        self.stdout.write(f"kefu: data in {settings.DATA_DIR}")
        steps = Steps(self.stdout)
        prepared = prepare(demo=not no_demo, progress=steps, later=True)
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        # Links in mails (confirmations, password resets) point where this kefu listens, not at :8000.
        os.environ.setdefault("KEFU_BASE_URL", f"http://{shown_host}:{port}")
        if mail_port and not _port_free(mail_port):
            self.stdout.write(
                self.style.WARNING(f"Port {mail_port} is taken: no mail receiver (try --mail-port).")
            )
            mail_port = 0
        commands = {"web": kefu_command("web", "--host", host, "--port", str(port))}
        if not no_worker:  # the default queue with the scheduler, and the webhooks queue apart
            commands.update(worker_commands())
        if mail_port:
            commands["mail"] = kefu_command("mail-receiver", "--listen", f"127.0.0.1:{mail_port}")
        names = ", ".join(CHILD_NAMES[name] for name in commands)
        self.stdout.write(f"  starting {names} …")
        self.stdout.flush()

        def ready(took: float | None) -> None:
            if took is not None:
                self.stdout.write(f"  web answers … {took:.1f} s")
            self.stdout.write("")
            self.stdout.write(
                self.style.SUCCESS(
                    f"kefu is ready on http://{shown_host}:{port} ({time.monotonic() - began:.0f} s)"
                )
            )
            self._banner(shown_host, port, mail_port, prepared.has_demo)
            if prepared.later:
                finish_demo_in_background(prepared, steps)

        if port == 0:  # the port uvicorn picks is not known here: go on at once
            ready(None)
        return Supervisor(
            commands, ready=(_local(host), port) if port else None, on_ready=ready, first=("web",)
        ).run()

    def _banner(self, shown_host: str, port: int, mail_port: int, has_demo: bool) -> None:
        self.stdout.write(f"  agent workspace  http://{shown_host}:{port}/agent/")
        self.stdout.write(f"  customer portal  http://{shown_host}:{port}/portal/")
        self.stdout.write(f"  API docs         http://{shown_host}:{port}/api/docs")
        self.stdout.write(f"  Django admin     http://{shown_host}:{port}/admin/")
        if mail_port:
            self.stdout.write(f"  incoming mail    smtp://127.0.0.1:{mail_port}  (to a mailbox address)")
        if has_demo:
            print_logins(self.stdout)
        else:
            self.stdout.write("No demo data. Create an administrator with: kefu createadmin")
        self.stdout.write("Press Ctrl-C to stop.\n")
        self.stdout.flush()


CHILD_NAMES = {
    "web": "web",
    "worker": "worker with scheduler",
    "webhooks": "webhooks worker",
    "mail": "mail receiver",
}


def _local(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _port_free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False
