"""`kefu mail-receiver --listen 127.0.0.1:2525 [--lmtp]`: accept mail from an MTA."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from kefu.mail.inbound import default_limit
from kefu.mail.receiver import controller


class Command(BaseCommand):
    help = "Receive mail over SMTP or LMTP (aiosmtpd) and turn it into tickets."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--listen", default="127.0.0.1:2525", help="host:port")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument(
            "--max-bytes", type=int, default=0, help="SIZE limit (default KEFU_MAIL_MAX_BYTES)"
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        host, _colon, port = options["listen"].rpartition(":")
        server = controller(
            host or "127.0.0.1",
            int(port),
            max_bytes=options["max_bytes"] or default_limit(),
            lmtp=options["lmtp"],
        )
        server.start()
        self.stdout.write(
            f"kefu mail receiver on {options['listen']} ({'LMTP' if options['lmtp'] else 'SMTP'})"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
