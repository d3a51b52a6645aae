import os
import socket
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.ops.embedded import Supervisor, kefu_command, prepare, worker_commands

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
        try:  # fail before the long first start, not after it
            with socket.create_server((host, port)):
                pass
        except OSError as err:
            raise CommandError(f"Cannot listen on {host}:{port} ({err.strerror}). Try --port.")
        self.stdout.write(f"kefu: data in {settings.DATA_DIR}")
        prepared = prepare(demo=not no_demo)
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        # Links in mails (confirmations, password resets) point where this kefu listens, not at :8000.
        os.environ.setdefault("KEFU_BASE_URL", f"http://{shown_host}:{port}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"kefu is starting on http://{shown_host}:{port}"))
        self.stdout.write(f"  agent workspace  http://{shown_host}:{port}/agent/")
        self.stdout.write(f"  customer portal  http://{shown_host}:{port}/portal/")
        self.stdout.write(f"  API docs         http://{shown_host}:{port}/api/docs")
        self.stdout.write(f"  Django admin     http://{shown_host}:{port}/admin/")
        if mail_port and not _port_free(mail_port):
            self.stdout.write(
                self.style.WARNING(f"Port {mail_port} is taken: no mail receiver (try --mail-port).")
            )
            mail_port = 0
        if mail_port:
            self.stdout.write(f"  incoming mail    smtp://127.0.0.1:{mail_port}  (to a mailbox address)")
        if prepared.has_demo:
            print_logins(self.stdout)
        else:
            self.stdout.write("No demo data. Create an administrator with: kefu createadmin")
        self.stdout.write("Press Ctrl-C to stop.\n")
        self.stdout.flush()
        commands = {"web": kefu_command("web", "--host", host, "--port", str(port))}
        if not no_worker:  # the default queue with the scheduler, and the webhooks queue apart
            commands.update(worker_commands())
        if mail_port:
            commands["mail"] = kefu_command("mail-receiver", "--listen", f"127.0.0.1:{mail_port}")
        sys.exit(Supervisor(commands).run())


def _port_free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False
