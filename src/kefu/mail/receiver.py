"""The SMTP/LMTP receiver (aiosmtpd) for direct delivery from an MTA.

It answers 250 only after the raw message is committed, 4xx when storing fails (the MTA retries),
550 for a recipient that is no mailbox of ours, and advertises SIZE (552 when a mail is larger).
Parsing and threading run after the answer, in a worker thread, from the stored row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.db import OperationalError, close_old_connections, connections

from .inbound import process, store_raw
from .models import Mailbox

log = logging.getLogger("kefu.mail")


def mailbox_for_rcpt(address: str) -> Mailbox | None:
    local, _at, domain = address.lower().partition("@")
    base = f"{local.split('+', 1)[0]}@{domain}"
    return Mailbox.objects.filter(address__iexact=base, active=True).first()


def _store(raw: bytes, rcpts: list[str]) -> list[int]:
    try:
        return _store_each(raw, rcpts)
    finally:
        connections.close_all()  # the receiver's worker thread keeps no connection between mails


def _store_each(raw: bytes, rcpts: list[str]) -> list[int]:
    close_old_connections()
    ids = []
    seen: set[int] = set()
    for rcpt in rcpts:
        mailbox = mailbox_for_rcpt(rcpt)
        if mailbox is None or mailbox.pk in seen:
            continue
        seen.add(mailbox.pk)
        ids.append(store_raw(raw, mailbox=mailbox, source=f"smtp:{rcpt}").pk)
    return ids


def _process(ids: list[int]) -> None:
    """Parse and thread the stored mails. The raw is safe already; a busy database is tried again,
    and whatever still fails is left for `kefu mail reprocess` / the failed-mail view."""
    from .models import InboundMail

    try:
        for attempt in range(6):
            try:
                for mail in InboundMail.objects.select_related("mailbox").filter(pk__in=ids):
                    process(mail)
                return
            except OperationalError:  # SQLite busy ("locked"): back off and go again
                if attempt == 5:
                    raise
                connections.close_all()
                time.sleep(0.1 * 2**attempt)
    finally:
        connections.close_all()


class Handler:
    def __init__(self) -> None:
        self.pending: set[asyncio.Task[Any]] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox = await sync_to_async(mailbox_for_rcpt)(address)
        except Exception:
            log.warning("recipient lookup failed", exc_info=True)
            return "451 4.3.0 Temporary failure, try again later"
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            ids = await sync_to_async(_store)(raw, list(envelope.rcpt_tos))
        except Exception:
            log.warning("could not store an incoming mail", exc_info=True)
            return "451 4.3.0 Could not store the message, try again later"
        task = asyncio.ensure_future(sync_to_async(_process)(ids))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return "250 OK stored"


# RFC 5321 asks senders for lines of at most 1,000 bytes, and aiosmtpd answers a longer one with
# "500 Line too long": the mail (a one-line HTML body, a 100 kB header) is then lost to kefu. Postfix
# splits such lines and delivers; here they are taken as they come, up to this many bytes a line
# (the memory one connection may hold for a line), and the parser deals with them (FAULTS E6).
LINE_LIMIT = 1024 * 1024


class _SMTP(SMTP):
    line_length_limit = LINE_LIMIT


class _LMTP(LMTP):
    line_length_limit = LINE_LIMIT


class SMTPController(Controller):
    def factory(self) -> SMTP:
        return _SMTP(self.handler, **self.SMTP_kwargs)


class LMTPController(Controller):
    def factory(self) -> SMTP:
        return _LMTP(self.handler, **self.SMTP_kwargs)


def controller(host: str, port: int, *, max_bytes: int, lmtp: bool = False) -> Controller:
    cls = LMTPController if lmtp else SMTPController
    return cls(Handler(), hostname=host, port=port, data_size_limit=max_bytes, decode_data=False)
