"""Inbound mail: store the raw bytes first, then parse, decide and hand one `InboundMessage` to intake.

The IMAP poller, the SMTP/LMTP receiver and `kefu mail import` all call `store_raw()` then
`process()` (or `ingest()` for both). `decide()` is pure reading: `--dry-run` uses it alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.core.clock import now
from kefu.intake.services import InboundMessage, atomic_item, receive, receive_many
from kefu.tickets.models import Channel, Ticket, parse_number
from kefu.tickets.services import BODY_MAX, SUBJECT_MAX, Upload

from .authresults import dmarc_failure
from .models import (
    BouncedAddress,
    Decision,
    Follower,
    InboundMail,
    KnownMessageId,
    Mailbox,
    MailState,
    OutboxMail,
    OutboxState,
)
from .parsing import (
    TICKET_BODY_CHARS,
    ParsedMail,
    ParseFailure,
    ParseTimeout,
    parse_stored,
    sender_of_head,
)

log = logging.getLogger("kefu.mail")

TOKEN_RE = re.compile(r"\[#\s*(KF-\d{1,11})\s*\]", re.I)
PLUS_RE = re.compile(r"^[^+@]+\+(kf-\d{1,11})@", re.I)
OOO_SUBJECT_RE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|auto:|"
    r"自动回复|自動回覆|不在办公室|休假|abwesenheit|r[ée]ponse automatique)",
    re.I,
)
ROBOT_LOCAL_RE = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|notifications?|listserv|majordomo)"
    r"([+.-].*)?$",
    re.I,
)
BOUNCE_LOCAL_RE = re.compile(r"^(mailer-daemon|postmaster)$", re.I)


def default_limit() -> int:
    return int(getattr(settings, "KEFU_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def parse_seconds() -> float:
    """The time limit for parsing one mail (a pathological one is quarantined, not waited for)."""
    return float(settings.KEFU_MAIL_PARSE_SECONDS)


def trusted_authserv_ids() -> list[str]:
    """The authserv-ids of our own MTAs, whose Authentication-Results verdicts are believed."""
    return list(settings.KEFU_MAIL_TRUSTED_AUTHSERV_IDS)


def loop_cap() -> tuple[int, int]:
    """(mails, minutes) from one sender before it is treated as a loop."""
    limit, minutes = getattr(settings, "KEFU_MAIL_LOOP_CAP", "20/5").split("/")
    return int(limit), int(minutes)


@dataclass
class Outcome:
    decision: str
    reason: str = ""
    ticket_id: int | None = None
    mail_id: int | None = None
    parsed: ParsedMail | None = None
    automatic: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    # an admin re-processed a mail reusing an earlier Message-ID: it is a mail of its own, keyed by
    # its bytes (`external_id`), not the Message-ID the earlier mail holds
    own_key: bool = False
    # written later, with the batch's other new tickets (`Lookups.queue`); final once it is flushed
    queued: bool = False


@dataclass
class DryRunMemory:
    """What a dry run has seen so far (nothing is written, yet repeats must still show)."""

    message_ids: set[str] = field(default_factory=set)
    digests: set[str] = field(default_factory=set)
    contents: set[tuple[str, str]] = field(default_factory=set)  # (Message-ID, content sha256)


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def our_addresses() -> set[str]:
    addresses = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    addresses.add(settings.DEFAULT_FROM_EMAIL.lower())
    return addresses


LOOKUP_CHUNK = 500
SEEN_STATES = (MailState.PROCESSED, MailState.IGNORED)


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + LOOKUP_CHUNK] for i in range(0, len(values), LOOKUP_CHUNK)]


@dataclass
class Lookups:
    """What `decide()` reads for a batch of an archive import, read for the whole batch at once.

    A few queries per batch instead of five per mail; the batch's own mails are added as they are
    processed (`note`), so a repeat inside the batch is still a duplicate and a reply threads onto
    a ticket opened earlier in the batch. Gives the answers the per-mail queries would give.
    """

    mailbox_id: int | None
    ours: set[str]
    seen_digests: set[str] = field(default_factory=set)  # processed or ignored in this mailbox
    seen_ids: dict[str, set[str]] = field(default_factory=dict)  # Message-ID -> content sha256s
    outbound_ids: set[str] = field(default_factory=set)  # our own outgoing Message-IDs
    known: dict[str, int] = field(default_factory=dict)  # Message-ID -> ticket (threading index)
    new_known: dict[str, int] = field(default_factory=dict)  # written by `flush()`
    # New tickets waiting to be written together (`write_queued()`), and their keys: a later mail
    # that could depend on one of them (a repeat, a reply) has the queue written first.
    queue: list[_Queued] = field(default_factory=list)
    queued_digests: set[str] = field(default_factory=set)
    queued_ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, mailbox: Mailbox | None, mails: list[tuple[str, ParsedMail | None]]) -> Lookups:
        """For these (sha256, parsed) mails (parsed None: not parsed yet, looked up per mail)."""
        box = mailbox.pk if mailbox is not None else None
        lookups = cls(mailbox_id=box, ours=our_addresses())
        digests = sorted({digest for digest, _parsed in mails})
        ids = sorted({p.message_id[:255] for _d, p in mails if p is not None and p.message_id})
        refs = sorted({mid for _d, p in mails if p is not None for mid in _thread_ids(p)})
        for chunk in _chunks(digests):
            lookups.seen_digests.update(
                InboundMail.objects.filter(
                    mailbox=mailbox, sha256__in=chunk, state__in=SEEN_STATES
                ).values_list("sha256", flat=True)
            )
        for chunk in _chunks(ids):
            seen = [
                (pk, mid, content)
                for pk, mid, box_id, state, content in InboundMail.objects.filter(
                    message_id__in=chunk
                ).values_list("pk", "message_id", "mailbox_id", "state", "content_sha256")
                if box_id == box and state in SEEN_STATES
            ]
            for mid, content in _with_contents(seen):
                lookups.seen_ids.setdefault(mid, set()).add(content)
            lookups.outbound_ids.update(
                KnownMessageId.objects.filter(message_id__in=chunk, outbound=True).values_list(
                    "message_id", flat=True
                )
            )
        for chunk in _chunks(refs):
            lookups.known.update(
                KnownMessageId.objects.filter(message_id__in=chunk).values_list("message_id", "ticket_id")
            )
        return lookups

    def note(self, *, digest: str, message_id: str, outcome: Outcome) -> None:
        """A mail of the batch is done: if it was processed or ignored, a repeat is a duplicate."""
        if outcome.decision not in (Decision.QUARANTINED, Decision.DUPLICATE):
            self.seen_digests.add(digest)
            if message_id:
                content = outcome.parsed.content_sha256 if outcome.parsed is not None else ""
                self.seen_ids.setdefault(message_id[:255], set()).add(content)

    def thread(self, message_id: str, ticket_id: int) -> None:
        """Map a mail's Message-ID to its ticket (a Message-ID already known keeps its ticket);
        written to `KnownMessageId` by `flush()`, in the batch's transaction."""
        if message_id not in self.known:
            self.known[message_id] = ticket_id
            self.new_known[message_id] = ticket_id

    def waits_for_queue(self, parsed: ParsedMail, digest: str) -> bool:
        """Whether deciding this mail could depend on a queued mail: a repeat of one, a reply to
        one, or a ticket token (checked against the database, where queued tickets are not yet)."""
        if not self.queue:
            return False
        ids = self.queued_ids
        return (
            digest in self.queued_digests
            or parsed.message_id[:255] in ids
            or parsed.dsn_original_id in ids
            or any(mid in ids for mid in _thread_ids(parsed))
            or bool(TOKEN_RE.search(parsed.subject))
            or any(PLUS_RE.match(a) for a in parsed.to + parsed.delivered_to + parsed.cc)
        )

    def flush(self) -> None:
        """Write the queued tickets, then what the batch added to the threading index (call before
        the batch commits)."""
        write_queued(self)
        rows = [KnownMessageId(message_id=mid, ticket_id=pk) for mid, pk in self.new_known.items()]
        KnownMessageId.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        self.new_known.clear()


@dataclass
class _Queued:
    """A mail decided as a new ticket, waiting in `Lookups.queue`."""

    mail: InboundMail
    parsed: ParsedMail
    outcome: Outcome
    head: dict[str, str]
    inbound: InboundMessage
    followers: list[str]


def write_queued(lookups: Lookups) -> None:
    """Write the queued new tickets together (`intake.receive_many`: one INSERT per table), then
    close their mails as `_apply` would have one by one. If the bulk write fails (a bad mail in
    it), it is rolled back whole and the mails go through `_apply` one by one: the bad one is
    quarantined with its reason, the others are written once."""
    queue = lookups.queue
    if not queue:
        return
    lookups.queue = []
    lookups.queued_digests.clear()
    lookups.queued_ids.clear()
    try:
        with atomic_item():
            written = receive_many([q.inbound for q in queue])
            Follower.objects.bulk_create(
                [
                    Follower(ticket=received.ticket, email=a)
                    for q, received in zip(queue, written, strict=True)
                    for a in q.followers
                ],
                ignore_conflicts=True,
            )
    except OperationalError:
        raise  # the database is busy or away: the batch fails, as one mail would
    except Exception:
        log.info("a batch of %d new tickets failed; writing them one by one", len(queue), exc_info=True)
        for q in queue:
            outcome = _apply_guarded(
                q.mail, q.parsed, q.outcome, auto_reply=False, ours=lookups.ours, head=q.head, lookups=lookups
            )
            vars(q.outcome).update(vars(outcome), queued=False)
            lookups.note(digest=q.mail.sha256, message_id=q.parsed.message_id, outcome=q.outcome)
        return
    for q, received in zip(queue, written, strict=True):
        outcome, ticket = q.outcome, received.ticket
        outcome.ticket_id, outcome.queued = ticket.pk, False
        _finish(
            q.mail,
            q.head,
            state=MailState.PROCESSED,
            decision=outcome.decision,
            reason=outcome.reason[:2000],
            ticket_id=ticket.pk,
            ticket_message_id=received.message.pk,
            processed_at=now(),
        )
        if q.parsed.message_id:
            lookups.thread(q.parsed.message_id[:255], ticket.pk)
        lookups.note(digest=q.mail.sha256, message_id=q.parsed.message_id, outcome=outcome)


# --------------------------------------------------------------------------- raw first


def raw_row(raw: bytes, *, mailbox: Mailbox | None, source: str) -> InboundMail:
    """The (unsaved) row that stores a mail's raw bytes, state received."""
    head = raw[:64_000]
    match = re.search(rb"^Message-ID:\s*<?([^\s<>]{1,250})>?", head, re.M | re.I)
    return InboundMail(
        mailbox=mailbox,
        source=source[:300],
        raw=raw,
        size=len(raw),
        sha256=sha256(raw),
        message_id=match.group(1).decode("ascii", "replace") if match else "",
        from_email=sender_of_head(head)[:254],  # from the header's structure, as parse() reads it
    )


def store_raw(raw: bytes, *, mailbox: Mailbox | None, source: str) -> InboundMail:
    """Commit the raw bytes before anything else; returns the row (state received)."""
    mail = raw_row(raw, mailbox=mailbox, source=source)
    mail.save(force_insert=True)
    return mail


def ingest(
    raw: bytes, *, mailbox: Mailbox | None, source: str, auto_reply: bool = True, loop_check: bool = True
) -> Outcome:
    mail = store_raw(raw, mailbox=mailbox, source=source)
    return process(mail, auto_reply=auto_reply, loop_check=loop_check)


# --------------------------------------------------------------------------- deciding


def automatic_reason(parsed: ParsedMail) -> str:
    """Why this mail is automatic (RFC 3834 and common practice), or "" for a person's mail."""
    h = parsed.headers
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-loop", "x-kefu-loop"):
        if name in h:
            return f"{name}: {h[name][:40]}"
    if "list-id" in h or "list-unsubscribe" in h:
        return "mailing list"
    if OOO_SUBJECT_RE.search(parsed.subject):
        return "out-of-office subject"
    local = parsed.from_email.partition("@")[0]
    if ROBOT_LOCAL_RE.match(local):
        return f"robot sender {parsed.from_email}"
    return ""


def is_bounce(parsed: ParsedMail) -> bool:
    """A delivery report, or a plain-text bounce from MAILER-DAEMON/postmaster about a mail kefu
    sent. Any other mail from those senders (a quota warning, a notice) is automatic mail: kept on
    a ticket, never answered (FAULTS E1), rather than dropped as a bounce about nothing."""
    if parsed.is_dsn:
        return True
    local = parsed.from_email.partition("@")[0]
    return bool(BOUNCE_LOCAL_RE.match(local)) and sent_mail_of(parsed) is not None


THREAD_IDS = 60  # In-Reply-To + References ids looked up per mail


def _thread_ids(parsed: ParsedMail) -> list[str]:
    """The ids a mail may continue, nearest first: In-Reply-To, then References newest first."""
    return (list(parsed.in_reply_to) + list(reversed(parsed.references)))[:THREAD_IDS]


def find_thread(
    parsed: ParsedMail, *, mailbox: Mailbox | None, lookups: Lookups | None = None
) -> tuple[int | None, str]:
    """The ticket this mail continues, and how it was found; (None, "") for a new conversation."""
    ids = _thread_ids(parsed)
    if ids:
        if lookups is not None:
            known = {mid: lookups.known[mid] for mid in ids if mid in lookups.known}
        else:
            known = dict(
                KnownMessageId.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id")
            )
        for mid in ids:
            if mid in known:
                return known[mid], "In-Reply-To/References"
    for address in parsed.to + parsed.delivered_to + parsed.cc:
        match = PLUS_RE.match(address)
        if match and mailbox is not None and address.split("@")[-1] == mailbox.address.split("@")[-1]:
            pk = parse_number(match.group(1))
            if pk and _sender_may_continue(pk, parsed.from_email):
                return pk, "reply address token"
    match = TOKEN_RE.search(parsed.subject)
    if match:
        pk = parse_number(match.group(1))
        if pk and _sender_may_continue(pk, parsed.from_email):
            return pk, "subject token"
        return None, "subject token from a stranger ignored"
    return None, ""


def _sender_may_continue(ticket_id: int, sender: str) -> bool:
    """A ticket token only threads mail from the ticket's customer or a follower (FAULTS E5)."""
    if not sender:
        return False
    ticket = Ticket.objects.filter(pk=ticket_id).select_related("customer").first()
    if ticket is None:
        return False
    if (ticket.customer.email or "").lower() == sender:
        return True
    return Follower.objects.filter(ticket_id=ticket_id, email__iexact=sender).exists()


def external_id(parsed: ParsedMail, *, mailbox: Mailbox | None, digest: str, own_key: bool = False) -> str:
    """intake's idempotency key of a mail: its Message-ID per mailbox, or its bytes without one (or
    when an admin re-processes a mail that reuses an earlier mail's Message-ID)."""
    box = mailbox.pk if mailbox else 0
    if parsed.message_id and not own_key:
        return f"{box}:{parsed.message_id}"[:255]
    return f"{box}:sha256:{digest}"


def _seen(mailbox: Mailbox | None, exclude_mail: int | None, **key: str) -> bool:
    """An earlier processed (or ignored) mail of this mailbox with this sha256 or Message-ID.

    Only equalities that an index answers go to SQL, so the lookup stays an index probe however
    large the table grows (`mailbox = ? AND message_id = ?` made SQLite walk the mailbox index, i.e.
    every mail of the mailbox: the import slowed down as the table grew). The few rows sharing a
    key are filtered here.
    """
    if "sha256" in key:  # the (mailbox, sha256) index
        rows = InboundMail.objects.filter(mailbox=mailbox, **key)
    else:  # the message_id index (with the mailbox in SQL, SQLite probes the mailbox index)
        rows = InboundMail.objects.filter(**key)
    box = mailbox.pk if mailbox is not None else None
    return any(
        pk != exclude_mail and box_id == box and state in (MailState.PROCESSED, MailState.IGNORED)
        for pk, box_id, state in rows.values_list("pk", "mailbox_id", "state")
    )


def _seen_contents(mailbox: Mailbox | None, exclude_mail: int | None, message_id: str) -> set[str]:
    """The content sha256s of the earlier processed (or ignored) mails of this mailbox with this
    Message-ID (empty: none). Same index probe as `_seen`."""
    box = mailbox.pk if mailbox is not None else None
    rows = [
        (pk, mid, content)
        for pk, mid, box_id, state, content in InboundMail.objects.filter(message_id=message_id).values_list(
            "pk", "message_id", "mailbox_id", "state", "content_sha256"
        )
        if pk != exclude_mail and box_id == box and state in SEEN_STATES
    ]
    return {content for _mid, content in _with_contents(rows)}


def _with_contents(rows: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """(Message-ID, content sha256) of these (pk, Message-ID, content sha256) rows. A row stored
    before kefu kept the content sha256 has it worked out from its raw bytes (rare: only a
    Message-ID that arrives again gets here); one that cannot be parsed gives "" (a duplicate)."""
    out = [(mid, content) for _pk, mid, content in rows if content]
    for pk, mid, content in rows:
        if content:
            continue
        raw = InboundMail.objects.filter(pk=pk).values_list("raw", flat=True).first()
        try:
            out.append((mid, parse_stored(bytes(raw or b""), seconds=parse_seconds()).content_sha256))
        except (Exception, ParseTimeout):
            out.append((mid, ""))
    return out


REUSED = "reused"  # `_repeat`: the Message-ID of an earlier mail, on a different mail


def _repeat(
    parsed: ParsedMail,
    *,
    mailbox: Mailbox | None,
    digest: str,
    exclude_mail: int | None,
    lookups: Lookups | None,
) -> str:
    """Why this mail is a repeat of one already imported (or our own outgoing mail), `REUSED` for
    a different mail carrying the Message-ID of one already imported, or "".

    Two deliveries of one mail (a relay adds a header, an IMAP re-poll, two aliases) are the same
    bytes or say the same (`ParsedMail.content_sha256`): a repeat. A different mail with that
    Message-ID (a broken client, or someone hoping kefu drops it) is not one (issue 13)."""
    mid = parsed.message_id[:255]
    if lookups is not None:
        if digest in lookups.seen_digests:
            return "same raw message already imported"
        contents = lookups.seen_ids.get(mid, set()) if mid else set()
    else:
        if _seen(mailbox, exclude_mail, sha256=digest):
            return "same raw message already imported"
        contents = _seen_contents(mailbox, exclude_mail, mid) if mid else set()
    if contents:
        if parsed.content_sha256 in contents or "" in contents:
            return "same Message-ID already imported"
        return REUSED
    if lookups is not None:
        return "our own outgoing mail" if mid and mid in lookups.outbound_ids else ""
    if mid and KnownMessageId.objects.filter(message_id=mid, outbound=True).exists():
        return "our own outgoing mail"
    return ""


@contextmanager
def _site_language() -> Iterator[None]:
    """Reasons stored for the staff (failed-mail view, ticket panel) in the install's language."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _reused_reason(parsed: ParsedMail) -> str:
    with _site_language():
        return _(
            "Message-ID already used by a different mail (%(message_id)s): kept here, nothing merged. "
            "Re-process it to import it as a mail of its own."
        ) % {"message_id": parsed.message_id[:255]}


def _from_reason(parsed: ParsedMail) -> str:
    """Why the mail's From credits nobody (several addresses, or a structure that reads two ways)."""
    values = {"count": len(parsed.from_addresses), "addresses": ", ".join(parsed.from_addresses[:5])}
    with _site_language():
        if parsed.from_problem == "ambiguous":
            return (
                _(
                    "Ambiguous From header (%(addresses)s): it reads as different senders, so kefu credits "
                    "none of them. Re-process it to credit the Sender header (or the first address)."
                )
                % values
            )
        return (
            _(
                "From holds %(count)s addresses (%(addresses)s): RFC 5322 then requires a Sender, and kefu "
                "credits none of them. Re-process it to credit the Sender header (or the first address)."
            )
            % values
        )


def sent_mail_of(parsed: ParsedMail) -> OutboxMail | None:
    """The mail kefu sent that a bounce reports on: the original Message-ID of its delivery report
    (its attached headers), else its In-Reply-To / References, matched against the outbox."""
    ids = [mid for mid in (parsed.dsn_original_id, *_thread_ids(parsed)) if mid][:THREAD_IDS]
    if not ids:
        return None
    rows = {row.message_id: row for row in OutboxMail.objects.filter(message_id__in=ids)}
    return next((rows[mid] for mid in ids if mid in rows), None)


def _bounce(parsed: ParsedMail) -> Outcome:
    """A bounce counts only for a mail kefu sent, and only for a recipient of that mail: a forged
    MAILER-DAEMON report naming a customer's address marks nothing (issue 13)."""
    recipient, status = parsed.dsn_recipient, parsed.dsn_status
    sent = sent_mail_of(parsed)
    if sent is None:
        with _site_language():
            reason = _("Bounce ignored: it refers to no mail kefu sent; no address was marked undeliverable.")
        return Outcome(Decision.BOUNCE, reason, parsed=parsed, automatic=True)
    sent_to = {sent.to.lower(), *(a.strip().lower() for a in sent.cc.split(",") if a.strip())}
    if recipient and recipient not in sent_to:
        with _site_language():
            reason = _(
                "Bounce ignored: %(recipient)s was not a recipient of the mail it refers to; no address "
                "was marked undeliverable."
            ) % {"recipient": recipient}
        return Outcome(Decision.BOUNCE, reason, ticket_id=sent.ticket_id, parsed=parsed, automatic=True)
    reason = f"delivery failure {status or ''} for {recipient or '?'}".replace("  ", " ")
    return Outcome(
        Decision.BOUNCE,
        reason,
        ticket_id=sent.ticket_id,
        parsed=parsed,
        automatic=True,
        extra={"outbox_id": sent.pk},
    )


IMPORTED = (Decision.NEW_TICKET, Decision.FOLLOW_UP, Decision.AUTO_REPLY_SUPPRESSED)


def defect_note(parsed: ParsedMail) -> str:
    """What was wrong with a mail that was imported all the same (FAULTS E6: a broken boundary,
    truncated base64, 10,000 parts…), for its reason: "" for a well-formed mail."""
    if not parsed.defects:
        return ""
    return ("defects: " + ", ".join(dict.fromkeys(d[:200] for d in parsed.defects)))[:1000]


def decide(
    parsed: ParsedMail,
    *,
    mailbox: Mailbox | None,
    digest: str,
    size: int,
    exclude_mail: int | None = None,
    memory: DryRunMemory | None = None,
    loop_check: bool = True,
    ours: set[str] | None = None,
    lookups: Lookups | None = None,
    sender_check: bool = True,
) -> Outcome:
    """What would happen to this mail. Reads only. `ours`: our_addresses(), if the caller has it;
    `lookups`: the batch's lookups (an archive import), read instead of the per-mail queries;
    `sender_check=False`: an admin re-processes a quarantined mail and vouches for it (a From that
    failed DMARC or names several senders, a Message-ID an earlier mail holds). A mail imported
    despite defects says so in its reason (`defect_note`)."""
    outcome = _decide(
        parsed,
        mailbox=mailbox,
        digest=digest,
        size=size,
        exclude_mail=exclude_mail,
        memory=memory,
        loop_check=loop_check,
        ours=ours,
        lookups=lookups,
        sender_check=sender_check,
    )
    note = defect_note(parsed) if outcome.decision in IMPORTED else ""
    if note:
        outcome.reason = f"{outcome.reason}; {note}"
    return outcome


def _decide(
    parsed: ParsedMail,
    *,
    mailbox: Mailbox | None,
    digest: str,
    size: int,
    exclude_mail: int | None,
    memory: DryRunMemory | None,
    loop_check: bool,
    ours: set[str] | None,
    lookups: Lookups | None,
    sender_check: bool,
) -> Outcome:
    limit = mailbox.max_message_bytes if mailbox else default_limit()
    if size > limit:
        return Outcome(Decision.QUARANTINED, f"too large: {size} bytes, limit {limit}", parsed=parsed)
    own_key = False
    if memory is not None:
        mid = parsed.message_id
        if digest in memory.digests or (mid and (mid, parsed.content_sha256) in memory.contents):
            return Outcome(Decision.DUPLICATE, "seen earlier in this run", parsed=parsed)
        if mid and mid in memory.message_ids:
            return Outcome(Decision.QUARANTINED, _reused_reason(parsed), parsed=parsed)
    repeat = _repeat(parsed, mailbox=mailbox, digest=digest, exclude_mail=exclude_mail, lookups=lookups)
    if repeat == REUSED:
        if sender_check:
            return Outcome(Decision.QUARANTINED, _reused_reason(parsed), parsed=parsed)
        own_key = True  # an admin re-processes it: a mail of its own
    elif repeat:
        return Outcome(Decision.DUPLICATE, repeat, parsed=parsed)
    if is_bounce(parsed):
        return _bounce(parsed)
    if parsed.from_problem:
        # issue 13: several From addresses (or one that reads two ways) credit nobody; an admin who
        # re-processes the mail credits its Sender, else the first From address
        fallback = parsed.sender_email or (parsed.from_addresses or ("",))[0]
        if sender_check or not fallback:
            return Outcome(Decision.QUARANTINED, _from_reason(parsed), parsed=parsed)
        parsed.from_email, parsed.from_name = fallback, ""
    if not parsed.from_email:
        return Outcome(Decision.QUARANTINED, "no valid From address", parsed=parsed)
    if parsed.from_email in (our_addresses() if ours is None else ours):
        return Outcome(
            Decision.AUTO_REPLY_SUPPRESSED,
            "sent from our own address; ignored",
            parsed=parsed,
            automatic=True,
        )
    if sender_check:
        # FAULTS X3: a From that failed DMARC at our own MTA may be forged (a VIP's address, say):
        # it must not land on that customer's tickets; an admin can release it from "failed mail"
        forged = dmarc_failure(parsed.headers.get("authentication-results", ""), trusted_authserv_ids())
        if forged:
            return Outcome(Decision.QUARANTINED, forged, parsed=parsed)
    if loop_check:
        cap, minutes = loop_cap()
        recent = InboundMail.objects.filter(
            from_email=parsed.from_email, received_at__gte=now() - timedelta(minutes=minutes)
        )
        if exclude_mail:
            recent = recent.exclude(pk=exclude_mail)
        if recent.count() >= cap:
            return Outcome(
                Decision.QUARANTINED,
                f"email loop: more than {cap} mails from {parsed.from_email} in {minutes} minutes",
                parsed=parsed,
            )
    ticket_id, how = find_thread(parsed, mailbox=mailbox, lookups=lookups)
    automatic = automatic_reason(parsed)
    if ticket_id:
        decision = Decision.AUTO_REPLY_SUPPRESSED if automatic else Decision.FOLLOW_UP
        reason = f"threaded by {how}" + (f"; automatic ({automatic})" if automatic else "")
        return Outcome(
            decision, reason, ticket_id=ticket_id, parsed=parsed, automatic=bool(automatic), own_key=own_key
        )
    if automatic:
        return Outcome(
            Decision.AUTO_REPLY_SUPPRESSED,
            f"automatic mail ({automatic}); new ticket, no auto-reply",
            parsed=parsed,
            automatic=True,
            own_key=own_key,
        )
    return Outcome(Decision.NEW_TICKET, how or "no known thread", parsed=parsed, own_key=own_key)


# --------------------------------------------------------------------------- processing


# Inside `deferred_finishes()`: mail pk -> (row, the fields of its last `_finish`), written at the end.
_finishes: ContextVar[dict[int, tuple[InboundMail, dict[str, Any]]] | None] = ContextVar(
    "kefu_mail_finishes", default=None
)
FINISHED = (
    "message_id",
    "content_sha256",
    "from_email",
    "subject",
    "state",
    "decision",
    "reason",
    "ticket_id",
    "ticket_message_id",
    "processed_at",
)


def _finish(mail: InboundMail, head: dict[str, str] | None, **fields: object) -> None:
    """The one UPDATE that closes a mail's processing, with its parsed headers (`head`)."""
    pending = _finishes.get()
    if pending is not None:
        # the last call wins whole: a finish rolled back with its savepoint is followed by the
        # one of the error path (quarantine), which must not inherit its ticket
        pending[mail.pk] = (mail, {**(head or {}), **fields})
        return
    InboundMail.objects.filter(pk=mail.pk).update(**(head or {}), **fields)


@contextmanager
def deferred_finishes() -> Iterator[None]:
    """An import batch: the closing UPDATEs of its mails are written at the end of the block, in
    one statement (executemany), instead of one UPDATE per mail. Each row gets what its own
    UPDATE would have set; the columns its finish does not name keep the values of the row as
    stored. Use it inside the batch's transaction; on an exception nothing is written."""
    if _finishes.get() is not None:
        yield
        return
    pending: dict[int, tuple[InboundMail, dict[str, Any]]] = {}
    token = _finishes.set(pending)
    try:
        yield
    finally:
        _finishes.reset(token)
    if not pending:
        return
    meta = InboundMail._meta
    columns = [meta.get_field(name) for name in FINISHED]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in columns),
        quote(meta.pk.column),
    )
    params = [
        [
            f.get_db_prep_save(values[f.name] if f.name in values else getattr(mail, f.attname), connection)
            for f in columns
        ]
        + [pk]
        for pk, (mail, values) in pending.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _quarantine(mail: InboundMail, reason: str, *, head: dict[str, str] | None = None) -> Outcome:
    _finish(
        mail,
        head,
        state=MailState.QUARANTINED,
        decision=Decision.QUARANTINED,
        reason=reason[:2000],
        processed_at=now(),
    )
    return Outcome(Decision.QUARANTINED, reason, mail_id=mail.pk)


def process(
    mail: InboundMail,
    *,
    auto_reply: bool = True,
    loop_check: bool = True,
    parsed: ParsedMail | ParseFailure | None = None,
    lookups: Lookups | None = None,
    sender_check: bool = True,
) -> Outcome:
    """Parse, decide and apply one stored mail. Never raises for a bad mail: it is quarantined.

    `parsed`: parse_stored() of the mail's bytes if already done (an archive import parses ahead
    in another process); `lookups`: the import batch's lookups (see `Lookups`), which must cover
    this mail, and which are kept up to date here."""
    outcome = _process(
        mail,
        auto_reply=auto_reply,
        loop_check=loop_check,
        parsed=parsed,
        lookups=lookups,
        sender_check=sender_check,
    )
    if lookups is not None and not outcome.queued:  # (a queued one is noted once written)
        message_id = outcome.parsed.message_id if outcome.parsed is not None else ""
        lookups.note(digest=mail.sha256, message_id=message_id, outcome=outcome)
    return outcome


def _process(
    mail: InboundMail,
    *,
    auto_reply: bool,
    loop_check: bool,
    parsed: ParsedMail | ParseFailure | None,
    lookups: Lookups | None,
    sender_check: bool = True,
) -> Outcome:
    raw = bytes(mail.raw)
    limit = mail.mailbox.max_message_bytes if mail.mailbox else default_limit()
    if len(raw) > limit:
        outcome = _quarantine(mail, f"too large: {len(raw)} bytes, limit {limit}")
        if mail.mailbox and mail.mailbox.bounce_too_large:
            from .outbound import queue_too_large_bounce

            queue_too_large_bounce(mail)
        return outcome
    if isinstance(parsed, ParseFailure):
        log.warning("mail %s could not be parsed\n%s", mail.pk, parsed.trace)
        return _quarantine(mail, parsed.reason)
    if parsed is None:
        try:
            parsed = parse_stored(raw, seconds=parse_seconds())
        except ParseTimeout as timeout:
            log.warning("mail %s: %s", mail.pk, timeout.reason)
            return _quarantine(mail, timeout.reason)
        except Exception as err:  # the parser is hardened; anything left is quarantined, not raised
            log.warning("mail %s could not be parsed", mail.pk, exc_info=True)
            return _quarantine(mail, f"cannot be parsed: {err.__class__.__name__}: {err}"[:500])
    head = {
        "message_id": parsed.message_id[:255],
        "content_sha256": parsed.content_sha256,
        "from_email": parsed.from_email[:254],
        "subject": parsed.subject[:300],
    }
    ours = lookups.ours if lookups is not None else our_addresses()
    if lookups is not None and lookups.waits_for_queue(parsed, mail.sha256):
        write_queued(lookups)
    outcome = decide(
        parsed,
        mailbox=mail.mailbox,
        digest=mail.sha256,
        size=len(raw),
        exclude_mail=mail.pk,
        loop_check=loop_check,
        ours=ours,
        lookups=lookups,
        sender_check=sender_check,
    )
    outcome.mail_id = mail.pk
    head["from_email"] = parsed.from_email[:254]  # (credited by an admin's re-process: see decide)
    return _apply_guarded(
        mail, parsed, outcome, auto_reply=auto_reply, ours=ours, head=head, lookups=lookups, queue=True
    )


def _apply_guarded(
    mail: InboundMail,
    parsed: ParsedMail,
    outcome: Outcome,
    *,
    auto_reply: bool,
    ours: set[str],
    head: dict[str, str],
    lookups: Lookups | None,
    queue: bool = False,
) -> Outcome:
    """`_apply`, with a failure turned into the mail's outcome (duplicate or quarantined)."""
    try:
        return _apply(
            mail, parsed, outcome, auto_reply=auto_reply, ours=ours, head=head, lookups=lookups, queue=queue
        )
    except IntegrityError:
        # the Message-ID committed by a concurrent delivery: this one is the duplicate, unless that
        # was a different mail with the same Message-ID
        contents = (
            _seen_contents(mail.mailbox, mail.pk, parsed.message_id[:255]) if parsed.message_id else set()
        )
        if not outcome.own_key and contents and "" not in contents and parsed.content_sha256 not in contents:
            result = _quarantine(mail, _reused_reason(parsed), head=head)
            result.parsed = parsed
            return result
        _finish(
            mail,
            head,
            state=MailState.DUPLICATE,
            decision=Decision.DUPLICATE,
            reason="concurrent delivery",
            processed_at=now(),
        )
        return Outcome(Decision.DUPLICATE, "concurrent delivery", mail_id=mail.pk, parsed=parsed)
    except OperationalError:
        raise  # the database is busy or away: not the mail's fault; it stays stored for a retry
    except Exception as err:
        log.warning("mail %s could not be processed", mail.pk, exc_info=True)
        return _quarantine(mail, f"cannot be processed: {err.__class__.__name__}: {err}"[:500], head=head)


def uploads_of(parsed: ParsedMail) -> tuple[Upload, ...]:
    return tuple(
        Upload(name=a.name, content=a.content, content_type=a.content_type) for a in parsed.attachments
    )


def inbound_message(
    parsed: ParsedMail, outcome: Outcome, *, mailbox: Mailbox | None, digest: str
) -> InboundMessage:
    subject = parsed.subject[:SUBJECT_MAX].strip() or _("(no subject)")
    body = (parsed.new_text or parsed.text).strip()[:BODY_MAX] or _("(no text)")
    html, clean, text_html = parsed.html, parsed.html_clean, ""
    # made by the parsing process for the body cut as here (see parsing._text_html)
    made = parsed.text_html if BODY_MAX == TICKET_BODY_CHARS else ""
    if parsed.new_text and parsed.new_text != parsed.text and not html:
        from django.utils.html import escape, linebreaks

        html, clean = (made, True) if made else (linebreaks(escape(parsed.text[: BODY_MAX * 4])), False)
    elif not html:
        text_html = made
    return InboundMessage(
        channel=Channel.EMAIL,
        external_id=external_id(parsed, mailbox=mailbox, digest=digest, own_key=outcome.own_key),
        from_email=parsed.from_email,
        from_name=parsed.from_name,
        subject=subject,
        body_text=body,
        body_html=html,
        body_html_clean=bool(html) and clean,
        body_text_html=text_html,
        ticket_id=outcome.ticket_id,
        type=mailbox.default_type if mailbox else "consultation",
        language="en" if parsed.language == "en" else "zh-hans",
        attachments=uploads_of(parsed),
        team_id=mailbox.team_id if mailbox else None,
        category_id=mailbox.default_category_id if mailbox else None,
        on_closed=mailbox.closed_reply if mailbox else "reopen",
        automatic=outcome.automatic,
    )


def _apply(
    mail: InboundMail,
    parsed: ParsedMail,
    outcome: Outcome,
    *,
    auto_reply: bool,
    ours: set[str],
    head: dict[str, str],
    lookups: Lookups | None = None,
    queue: bool = False,
) -> Outcome:
    """Write what was decided. `queue`: inside an import batch (`lookups`), a new ticket is queued
    to be written with the batch's other new tickets (`write_queued`); any other write first
    writes the queue, so rows keep the order (and ids) they get one by one."""
    mailbox = mail.mailbox
    decision = outcome.decision
    if decision == Decision.QUARANTINED:
        result = _quarantine(mail, outcome.reason, head=head)
        result.parsed = parsed
        return result
    if decision == Decision.DUPLICATE:
        _finish(
            mail,
            head,
            state=MailState.DUPLICATE,
            decision=decision,
            reason=outcome.reason,
            processed_at=now(),
        )
        return outcome
    if outcome.reason.startswith("sent from our own address"):
        _finish(
            mail, head, state=MailState.IGNORED, decision=decision, reason=outcome.reason, processed_at=now()
        )
        return outcome
    if (
        queue
        and lookups is not None
        and not auto_reply
        and outcome.ticket_id is None
        and decision in (Decision.NEW_TICKET, Decision.AUTO_REPLY_SUPPRESSED)
    ):
        inbound = inbound_message(parsed, outcome, mailbox=mailbox, digest=mail.sha256)
        lookups.queue.append(_Queued(mail, parsed, outcome, head, inbound, _followers(parsed, outcome, ours)))
        lookups.queued_digests.add(mail.sha256)
        if parsed.message_id:
            lookups.queued_ids.add(parsed.message_id[:255])
        outcome.queued = True
        return outcome
    if lookups is not None:
        write_queued(lookups)
    if decision == Decision.BOUNCE:
        with transaction.atomic():
            _record_bounce(parsed, outcome)
            _finish(
                mail,
                head,
                state=MailState.IGNORED,
                decision=decision,
                reason=outcome.reason,
                ticket_id=outcome.ticket_id,
                processed_at=now(),
            )
        return outcome
    with atomic_item():
        received = receive(
            inbound_message(parsed, outcome, mailbox=mailbox, digest=mail.sha256),
            unseen=lookups is not None,  # the batch's lookups found no earlier copy
        )
        ticket = received.ticket
        if not received.created and not outcome.own_key and _differs(received.message.pk, mail.pk, parsed):
            # the Message-ID came with another mail that did not pass `_repeat` (one delivered at the
            # same moment): not a duplicate either
            result = _quarantine(mail, _reused_reason(parsed), head=head)
            result.parsed = parsed
            return result
        if parsed.message_id and lookups is None:  # (an import batch writes these at its end)
            KnownMessageId.objects.bulk_create(  # a Message-ID already known keeps its ticket
                [KnownMessageId(message_id=parsed.message_id[:255], ticket_id=ticket.pk)],
                ignore_conflicts=True,
            )
        followers = _followers(parsed, outcome, ours)
        if followers:
            Follower.objects.bulk_create(
                [Follower(ticket=ticket, email=a) for a in followers], ignore_conflicts=True
            )
        if received.ticket.pk != outcome.ticket_id and outcome.decision == Decision.FOLLOW_UP:
            outcome.reason += f"; opened follow-up {ticket.number}"
        outcome.ticket_id = ticket.pk
        if not received.created:
            outcome.decision = Decision.DUPLICATE
            outcome.reason = "same message already on the ticket"
        _finish(
            mail,
            head,
            state=MailState.PROCESSED if received.created else MailState.DUPLICATE,
            decision=outcome.decision,
            reason=outcome.reason[:2000],
            ticket_id=ticket.pk,
            ticket_message_id=received.message.pk,
            processed_at=now(),
        )
        if (
            auto_reply
            and received.created
            and outcome.decision == Decision.NEW_TICKET
            and mailbox is not None
            and mailbox.auto_reply
        ):
            from .outbound import queue_auto_reply

            queue_auto_reply(ticket, mailbox=mailbox, parsed=parsed)
    if lookups is not None and parsed.message_id:  # the transaction above went through
        lookups.thread(parsed.message_id[:255], ticket.pk)
    return outcome


def _differs(message_id: int, mail_id: int, parsed: ParsedMail) -> bool:
    """Whether the mail that wrote this ticket message says something else than `parsed`."""
    rows = [
        (pk, mid, content)
        for pk, mid, content in InboundMail.objects.filter(ticket_message_id=message_id)
        .exclude(pk=mail_id)
        .values_list("pk", "message_id", "content_sha256")
    ]
    contents = {content for _mid, content in _with_contents(rows)}
    return bool(contents) and "" not in contents and parsed.content_sha256 not in contents


def _followers(parsed: ParsedMail, outcome: Outcome, ours: set[str]) -> list[str]:
    """The CC'd addresses that become followers of the mail's ticket (none for automatic mail)."""
    if outcome.automatic:
        return []
    return [a for a in parsed.cc if a not in ours and a != parsed.from_email and not PLUS_RE.match(a)][:50]


def _record_bounce(parsed: ParsedMail, outcome: Outcome) -> None:
    """A DSN for a mail kefu sent (`_bounce` matched it): mark the recipient, fail the outgoing
    mail, warn the agent. No reply. A bounce matching no mail of ours changes nothing."""
    outbox = OutboxMail.objects.filter(pk=outcome.extra.get("outbox_id") or 0).first()
    if outbox is None:
        return
    recipient = parsed.dsn_recipient
    status = parsed.dsn_status
    if recipient and status.startswith("5"):
        BouncedAddress.objects.get_or_create(
            email=recipient[:254], defaults={"status": status, "ticket_id": outcome.ticket_id}
        )
    if status.startswith(("2", "4")):
        return  # delivered, or only delayed: the mail has not failed
    OutboxMail.objects.filter(pk=outbox.pk).update(
        state=OutboxState.FAILED, last_error=f"bounced: {status} {recipient}"[:500]
    )
    from .outbound import warn_agent

    warn_agent(outbox, reason=_("undeliverable (%(status)s)") % {"status": status or "?"})


def reprocess(mail: InboundMail) -> Outcome:
    """Run a quarantined mail through the pipeline again (after a fix or a raised limit)."""
    if mail.state not in (MailState.QUARANTINED, MailState.RECEIVED):
        return Outcome(
            mail.decision or Decision.DUPLICATE,
            "already processed",
            mail_id=mail.pk,
            ticket_id=mail.ticket_id,
        )
    InboundMail.objects.filter(pk=mail.pk).update(state=MailState.RECEIVED, reason="")
    mail.refresh_from_db()
    return process(mail, auto_reply=False, loop_check=False, sender_check=False)


def dry_run(raw: bytes, *, mailbox: Mailbox | None, memory: DryRunMemory) -> Outcome:
    """The decision for one mail without writing anything."""
    digest = sha256(raw)
    try:
        parsed = parse_stored(raw, seconds=parse_seconds())
    except ParseTimeout as timeout:
        return Outcome(Decision.QUARANTINED, timeout.reason)
    except Exception as err:
        return Outcome(Decision.QUARANTINED, f"cannot be parsed: {err.__class__.__name__}: {err}"[:500])
    outcome = decide(parsed, mailbox=mailbox, digest=digest, size=len(raw), memory=memory, loop_check=False)
    memory.digests.add(digest)
    if parsed.message_id and outcome.decision != Decision.QUARANTINED:
        memory.message_ids.add(parsed.message_id)
        memory.contents.add((parsed.message_id, parsed.content_sha256))
    return outcome
