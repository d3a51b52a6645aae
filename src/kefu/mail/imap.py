"""IMAP polling with imap-tools: UIDVALIDITY + last UID per mailbox, flag/move only after commit.

One poll per mailbox at a time (a compare-and-set lease on the mailbox row), so three workers
starting the periodic job in the same minute poll each mailbox once. A mail is marked on the
server only after its ticket is committed; if the worker dies in between, the next poll fetches
it again and the Message-ID / raw-bytes dedupe turns it into a no-op.
"""

from __future__ import annotations

import logging
import re
import ssl
from datetime import timedelta

from django.db.models import Q
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from kefu.core.clock import now

from .inbound import process, store_raw
from .models import ImapSecurity, InboundMail, Mailbox, MailState, ProcessedAction
from .secrets import imap_password

log = logging.getLogger("kefu.mail")
LEASE = timedelta(minutes=10)
BATCH = 200
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


def connect(mailbox: Mailbox):  # type: ignore[no-untyped-def]
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_security == ImapSecurity.NONE:
        client = MailBoxUnencrypted(host, port, timeout=30)
    elif mailbox.imap_security == ImapSecurity.STARTTLS:
        client = MailBoxStartTls(host, port, timeout=30, ssl_context=ssl.create_default_context())
    else:
        client = MailBox(host, port, timeout=30, ssl_context=ssl.create_default_context())
    return client.login(
        mailbox.imap_user or mailbox.address, imap_password(mailbox), initial_folder=mailbox.imap_folder
    )


def _lease(mailbox: Mailbox) -> bool:
    current = now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=current))
        .update(poll_lease_until=current + LEASE)
    )


def poll(mailbox: Mailbox) -> int | None:
    """Import new mail of one mailbox; returns how many mails were fetched, None if another poll runs."""
    if not _lease(mailbox):
        return None
    fetched = 0
    try:
        with connect(mailbox) as client:
            status = client.folder.status(mailbox.imap_folder, ["UIDVALIDITY"])
            validity = int(status["UIDVALIDITY"])
            if mailbox.uidvalidity != validity:
                # a new UID space: start over; the dedupe keeps already-imported mail from repeating
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=validity, last_uid=0)
                mailbox.uidvalidity, mailbox.last_uid = validity, 0
            uids = sorted(int(u) for u in client.uids(f"UID {mailbox.last_uid + 1}:*"))
            for uid in [u for u in uids if u > mailbox.last_uid][:BATCH]:
                _fetch_one(client, mailbox, uid)
                fetched += 1
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=now(), last_error="", poll_lease_until=None
        )
    except Exception as err:
        log.warning("polling mailbox %s failed", mailbox.pk, exc_info=True)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=now(), last_error=f"{err.__class__.__name__}: {err}"[:500], poll_lease_until=None
        )
    return fetched


def _fetch_one(client, mailbox: Mailbox, uid: int) -> None:  # type: ignore[no-untyped-def]
    typ, data = client.client.uid("FETCH", str(uid), "(RFC822.SIZE)")
    match = SIZE_RE.search(data[0] if data and isinstance(data[0], bytes) else b"")
    size = int(match.group(1)) if match else 0
    source = f"imap:{mailbox.address}:{mailbox.uidvalidity}:{uid}"
    if size > mailbox.max_message_bytes:
        # not downloaded: keep the headers for the failed-mail view, quarantine "too large"
        typ, data = client.client.uid("FETCH", str(uid), "(BODY.PEEK[HEADER])")
        head = data[0][1] if data and isinstance(data[0], tuple) else b""
        mail = store_raw(head, mailbox=mailbox, source=source)
        InboundMail.objects.filter(pk=mail.pk).update(
            size=size,
            state=MailState.QUARANTINED,
            decision="quarantined",
            reason=f"too large: {size} bytes, limit {mailbox.max_message_bytes} (not downloaded)",
            processed_at=now(),
        )
        if mailbox.bounce_too_large:
            from .outbound import queue_too_large_bounce

            mail.refresh_from_db()
            queue_too_large_bounce(mail)
    else:
        typ, data = client.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        raw = next((part[1] for part in data if isinstance(part, tuple)), b"")
        mail = store_raw(raw, mailbox=mailbox, source=source)
        process(mail)
    # committed: remember the position, then mark the mail on the server
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
    mailbox.last_uid = uid
    mark_processed(client, mailbox, uid)


def mark_processed(client, mailbox: Mailbox, uid: int) -> None:  # type: ignore[no-untyped-def]
    try:
        if mailbox.processed_action == ProcessedAction.FLAG:
            client.flag([str(uid)], MailMessageFlags.SEEN, True)
        elif mailbox.processed_action == ProcessedAction.MOVE and mailbox.processed_folder:
            if not client.folder.exists(mailbox.processed_folder):
                client.folder.create(mailbox.processed_folder)
            client.move([str(uid)], mailbox.processed_folder)
    except Exception:  # the mail is committed; a failed flag only means it stays visible upstream
        log.warning("could not mark uid %s of mailbox %s", uid, mailbox.pk, exc_info=True)


def poll_all() -> int:
    total = 0
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host=""):
        total += poll(mailbox) or 0
    return total
