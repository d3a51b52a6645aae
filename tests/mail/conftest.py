from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from kefu.mail.models import Mailbox, ProcessedAction
from tests.servers import require

from .servers import DOVECOT, Dovecot, free_port

ADDRESS = "service@yunshan.example"


@pytest.fixture
def mailbox(team_aftersales):
    return Mailbox.objects.create(
        name="云杉优品客服",
        address=ADDRESS,
        team=team_aftersales,
        hotline="400-820-1234",
        processed_action=ProcessedAction.FLAG,
    )


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd): records what it accepts; `answers` scripts failures."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # e.g. ["451 4.3.0 try later"], consumed in order

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        if self.answers:
            return self.answers.pop(0)
        self.received.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def dovecot():
    require("Dovecot (IMAP)", found=os.access(DOVECOT, os.X_OK), install="apt-get install dovecot-imapd")
    server = Dovecot({ADDRESS: "imap-secret", "other@yunshan.example": "imap-secret"}).start()
    yield server
    server.stop()


def run_async(coro):
    return asyncio.run(coro)


__all__ = ["ADDRESS", "SmtpSink", "threading"]
