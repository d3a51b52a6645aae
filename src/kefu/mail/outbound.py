"""Outbound mail: every message goes through `OutboxMail` (attempts, back-off, a visible failure).

Agent replies (the tickets "replied" event), auto-replies acknowledging receipt and polite
bounces are queued here and sent by `deliver()`; a 4xx or a dropped connection is retried with
exponential back-off, a 5xx is final. The Message-ID is fixed when the row is written, so a retry
after an ambiguous timeout never shows the customer two different mails.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from kefu.accounts.services import notify
from kefu.core.clock import now
from kefu.tickets.models import Attachment, Channel, EventKind, Message, Ticket, TicketEvent

from .models import (
    BouncedAddress,
    Follower,
    InboundMail,
    KnownMessageId,
    Mailbox,
    OutboxKind,
    OutboxMail,
    OutboxState,
)
from .parsing import ParsedMail

log = logging.getLogger("kefu.mail")

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=60)
AUTO_REPLY_WINDOW = timedelta(hours=4)  # at most one auto-reply per sender in this window
AUTO_MAIL_PER_TICKET = 3  # at most this many automatic mails per ticket, ever
LEASE = timedelta(minutes=5)


def token(ticket: Ticket) -> str:
    return f"[#{ticket.number}]"


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    box_id = (
        InboundMail.objects.filter(ticket_id=ticket.pk, mailbox__isnull=False)
        .order_by("-pk")
        .values_list("mailbox_id", flat=True)
        .first()
    )
    if box_id:
        return Mailbox.objects.filter(pk=box_id).first()
    if ticket.team_id:
        box = Mailbox.objects.filter(team_id=ticket.team_id, active=True).order_by("pk").first()
        if box:
            return box
    return Mailbox.objects.filter(active=True).order_by("pk").first()


def service_sender() -> str | None:
    """The From of kefu's own mails (surveys, confirmations): the first active service mailbox, as
    customers know it from the replies; None when there is none (DEFAULT_FROM_EMAIL then)."""
    box = Mailbox.objects.filter(active=True).order_by("pk").first()
    return formataddr((box.name, box.address)) if box else None


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "kefu.local"


def _thread_headers(ticket: Ticket) -> tuple[str, str]:
    """(In-Reply-To, References) for a mail on this ticket: the latest known mail, and the chain."""
    known = list(
        KnownMessageId.objects.filter(ticket_id=ticket.pk)
        .order_by("pk")
        .values_list("message_id", "outbound")
    )
    if not known:
        return "", ""
    inbound = [mid for mid, out in known if not out]
    last = (inbound or [known[-1][0]])[-1]
    chain = [mid for mid, _out in known][-20:]
    return f"<{last}>", " ".join(f"<{mid}>" for mid in chain)


def _reply_to(mailbox: Mailbox | None, ticket: Ticket) -> str:
    if mailbox is None or not mailbox.plus_addressing:
        return ""
    local, _at, domain = mailbox.address.partition("@")
    return f"{local}+{ticket.number.lower()}@{domain}"


def _subject(ticket: Ticket) -> str:
    subject = " ".join(ticket.subject.split())
    tok = token(ticket)
    if tok.lower() not in subject.lower():
        subject = f"{subject} {tok}"
    if not subject.lower().startswith(("re:", "回复：", "回复:")):
        subject = f"Re: {subject}"
    return subject[:400]


def _new_outbox(
    ticket: Ticket,
    *,
    mailbox: Mailbox | None,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    cc: str = "",
    message: Message | None = None,
) -> OutboxMail:
    from_email = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    in_reply_to, references = _thread_headers(ticket)
    mid = make_msgid(domain=_domain(from_email)).strip("<>")
    row = OutboxMail.objects.create(
        ticket=ticket,
        ticket_message=message,
        mailbox=mailbox,
        kind=kind,
        to=to[:254],
        cc=cc,
        from_email=from_email,
        reply_to=_reply_to(mailbox, ticket),
        subject=subject[:400],
        body_text=text,
        body_html=html,
        message_id=mid,
        in_reply_to=in_reply_to,
        references=references,
        next_attempt_at=now(),
    )
    KnownMessageId.objects.get_or_create(
        message_id=mid, defaults={"ticket_id": ticket.pk, "outbound": True, "recipient": to[:254]}
    )
    transaction.on_commit(lambda: _enqueue(row.pk))
    return row


def _enqueue(outbox_id: int) -> None:
    from .tasks import deliver_mail

    try:
        deliver_mail.delay(outbox_id)
    except Exception:  # broker down: send_due picks it up
        log.warning("could not enqueue outbox %s", outbox_id, exc_info=True)


# --------------------------------------------------------------------------- agent replies


def on_replied(event_id: int) -> None:
    """Event handler: an agent's public reply on an email ticket leaves as a mail (once)."""
    event = TicketEvent.objects.select_related("ticket__customer", "message").filter(pk=event_id).first()
    if event is None or event.kind != EventKind.REPLIED or event.message is None:
        return
    ticket = event.ticket
    if ticket.channel != Channel.EMAIL or not event.message.is_public:
        return
    if OutboxMail.objects.filter(ticket_message=event.message).exists():
        return
    queue_reply(ticket, message=event.message)


def queue_reply(ticket: Ticket, *, message: Message) -> OutboxMail | None:
    to = (ticket.customer.email or "").strip()
    if not to:
        return None
    mailbox = mailbox_for(ticket)
    ours = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    cc = [
        f
        for f in Follower.objects.filter(ticket=ticket).values_list("email", flat=True)
        if f.lower() not in ours
    ]
    text = message.body_text + f"\n\n{token(ticket)}"
    html = (message.body_html or linebreaks(escape(message.body_text))) + f"<p>{escape(token(ticket))}</p>"
    return _new_outbox(
        ticket,
        mailbox=mailbox,
        kind=OutboxKind.REPLY,
        to=to,
        cc=",".join(cc[:50]),
        subject=_subject(ticket),
        text=text,
        html=html,
        message=message,
    )


# --------------------------------------------------------------------------- automatic mail


def _automatic_allowed(ticket: Ticket | None, to: str) -> bool:
    if not to or BouncedAddress.objects.filter(email__iexact=to).exists():
        return False
    automatic = OutboxMail.objects.filter(kind__in=[OutboxKind.AUTO_REPLY, OutboxKind.BOUNCE])
    if ticket is not None and automatic.filter(ticket=ticket).count() >= AUTO_MAIL_PER_TICKET:
        return False
    if automatic.filter(to__iexact=to, created_at__gte=now() - AUTO_REPLY_WINDOW).exists():
        return False
    return _under_global_cap(automatic)


def _under_global_cap(automatic) -> bool:  # type: ignore[no-untyped-def]
    """FAULTS E2: however many senders a loop or a flood involves, the install sends at most
    `KEFU_MAIL_AUTO_PER_HOUR` automatic mails an hour. Past it, automatic mail stops (tickets are
    still created) and the admins are told once per hour."""
    cap = settings.KEFU_MAIL_AUTO_PER_HOUR
    hour = now().replace(minute=0, second=0, microsecond=0)
    if automatic.filter(created_at__gte=now() - timedelta(hours=1)).count() < cap:
        return True
    log.warning("automatic mail suppressed: %s in the last hour (KEFU_MAIL_AUTO_PER_HOUR)", cap)
    from kefu.accounts.models import Role, User

    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "Automatic mail (auto-replies, bounces) is paused: %(cap)s were sent in the last hour. "
            "Check the inbox for a mail loop or a flood."
        ) % {"cap": cap}
    admins = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
    notify(
        admins, kind="mail_cap", text=text, url=reverse("mail:failed"), dedupe_key=f"mail-cap:{hour:%Y%m%d%H}"
    )
    return False


def expected_time(ticket: Ticket, mailbox: Mailbox, *, english: bool = False) -> str:
    """The promise in the auto-reply: the first-response target of the SLA policy that applies
    to this ticket, or the mailbox's own wording ("24–48 小时") when no policy sets one."""
    from kefu.sla.services import match_policy

    policy = match_policy(ticket)
    target = None
    if policy is not None:
        targets = [t for t in policy.targets.all() if t.metric == "first_response"]
        target = next((t for t in targets if t.channel == ticket.channel), None) or next(
            (t for t in targets if not t.channel), None
        )
    if target is None:
        return _english_expected(mailbox) if english else (mailbox.expected_time or "24–48 小时")
    return _duration(target.seconds, business=target.business_time, english=english)


def _duration(seconds: int, *, business: bool, english: bool) -> str:
    if seconds < 3600:
        n, zh, en = max(1, round(seconds / 60)), "分钟", "minutes"
    else:
        n, zh, en = round(seconds / 3600, 1), "小时", "hours"
        n = int(n) if n == int(n) else n
    if english:
        return f"{n} {en}" + (" (business hours)" if business else "")
    return f"{n} {zh}" + ("（工作时间）" if business else "")


def queue_auto_reply(
    ticket: Ticket, *, mailbox: Mailbox, parsed: ParsedMail | None = None
) -> OutboxMail | None:
    """Acknowledge receipt in the customer's language: ticket number, expected time, hotline."""
    to = ticket.customer.email
    if not _automatic_allowed(ticket, to):
        return None
    english = (ticket.customer.language or "").startswith("en") or (
        parsed is not None and parsed.language == "en"
    )
    values = {
        "name": ticket.customer.name or to,
        "number": ticket.number,
        "subject": " ".join(ticket.subject.split())[:120],
        "expected": expected_time(ticket, mailbox, english=english),
        "hotline": mailbox.hotline or settings.KEFU_HOTLINE,
        "company": settings.KEFU_COMPANY,
    }
    subject_t = mailbox.auto_reply_subject_en if english else mailbox.auto_reply_subject_zh
    body_t = mailbox.auto_reply_body_en if english else mailbox.auto_reply_body_zh
    subject, body = _fill(subject_t, values), _fill(body_t, values)
    if token(ticket) not in subject:
        subject = f"{subject} {token(ticket)}"
    return _new_outbox(
        ticket,
        mailbox=mailbox,
        kind=OutboxKind.AUTO_REPLY,
        to=to,
        subject=subject,
        text=body,
        html=linebreaks(escape(body)),
    )


def _english_expected(mailbox: Mailbox) -> str:
    value = mailbox.expected_time or "24–48 小时"
    value = value.replace("小时", " hours").replace("个工作日", " working days").replace("天", " days")
    return " ".join(value.split())


def _fill(template: str, values: dict[str, str]) -> str:
    """`{name}`-style placeholders; an unknown or broken placeholder is left as typed."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return out


def queue_too_large_bounce(mail: InboundMail) -> OutboxMail | None:
    """A polite note that a mail was too large (rate-limited like every automatic mail)."""
    to = mail.from_email
    if not to or mail.mailbox is None or not _automatic_allowed(None, to):
        return None
    limit_mb = round(mail.mailbox.max_message_bytes / 1048576)
    text = (
        f"您的邮件过大（超过 {limit_mb} MB），未能处理。请压缩附件或分多封发送。\n\n"
        f"Your message was larger than {limit_mb} MB and could not be processed. "
        "Please send smaller attachments or split it into several mails."
    )
    mid = make_msgid(domain=_domain(mail.mailbox.address)).strip("<>")
    row = OutboxMail.objects.create(
        mailbox=mail.mailbox,
        kind=OutboxKind.BOUNCE,
        to=to,
        from_email=mail.mailbox.address,
        subject="邮件过大 / Message too large",
        body_text=text,
        message_id=mid,
        in_reply_to=f"<{mail.message_id}>" if mail.message_id else "",
        next_attempt_at=now(),
    )
    transaction.on_commit(lambda: _enqueue(row.pk))
    return row


# --------------------------------------------------------------------------- sending


def _build(row: OutboxMail) -> EmailMultiAlternatives:
    headers = {"Message-ID": f"<{row.message_id}>", "X-Kefu-Ticket": row.ticket.number if row.ticket else ""}
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
    if row.references:
        headers["References"] = row.references
    if row.kind == OutboxKind.NOTICE:  # written by kefu because someone acted, not an answer to a mail
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    elif row.kind != OutboxKind.REPLY:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    if row.reply_to:
        headers["Reply-To"] = row.reply_to
    name = row.mailbox.name if row.mailbox else settings.KEFU_COMPANY
    mail = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=formataddr((name, row.from_email)),
        to=[row.to],
        cc=[a for a in row.cc.split(",") if a],
        headers={k: v for k, v in headers.items() if v},
    )
    if row.body_html:
        mail.attach_alternative(row.body_html, "text/html")
    if row.ticket_message_id:
        for attachment in Attachment.objects.filter(message_id=row.ticket_message_id):
            with attachment.file.open("rb") as handle:
                mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


def _claim(outbox_id: int) -> OutboxMail | None:
    """Take the row for sending (compare-and-set lease): one sender at a time, however many workers."""
    current = now()
    won = (
        OutboxMail.objects.filter(pk=outbox_id, state__in=[OutboxState.PENDING, OutboxState.RETRYING])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=current))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=current))
        .update(lease_until=current + LEASE)
    )
    if not won:
        return None
    return OutboxMail.objects.select_related("ticket", "mailbox").get(pk=outbox_id)


def _permanent(err: Exception) -> bool:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in err.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    if isinstance(err, smtplib.SMTPResponseException):
        return 500 <= err.smtp_code < 600
    return False


def deliver(outbox_id: int) -> str:
    """Send one queued mail if it is due; returns its state afterwards ("" when not ours to send)."""
    row = _claim(outbox_id)
    if row is None:
        return ""
    attempts = row.attempts + 1
    try:
        connection = get_connection(
            fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30
        )
        connection.send_messages([_build(row)])
    except (TimeoutError, smtplib.SMTPException, OSError) as err:
        reason = _reason(err)
        if _permanent(err) or attempts >= MAX_ATTEMPTS:
            OutboxMail.objects.filter(pk=row.pk).update(
                state=OutboxState.FAILED, attempts=attempts, last_error=reason, lease_until=None
            )
            row.attempts, row.last_error = attempts, reason
            if _permanent(err) and row.kind == OutboxKind.NOTICE:
                from .notices import record_undeliverable

                record_undeliverable(row, reason=reason)
            warn_agent(row, reason=reason)
            return OutboxState.FAILED
        delay = BASE_DELAY * (2 ** (attempts - 1))
        OutboxMail.objects.filter(pk=row.pk).update(
            state=OutboxState.RETRYING,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=now() + delay,
            lease_until=None,
        )
        return OutboxState.RETRYING
    OutboxMail.objects.filter(pk=row.pk).update(
        state=OutboxState.SENT, attempts=attempts, sent_at=now(), last_error="", lease_until=None
    )
    return OutboxState.SENT


def _reason(err: Exception) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        message = (
            err.smtp_error.decode("utf-8", "replace")
            if isinstance(err.smtp_error, bytes)
            else str(err.smtp_error)
        )
        return f"{err.smtp_code} {message}"[:500]
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        parts = []
        for address, (code, msg) in err.recipients.items():
            text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
            parts.append(f"{address}: {code} {text}")
        return "; ".join(parts)[:500]
    return f"{err.__class__.__name__}: {err}"[:500]


def warn_agent(row: OutboxMail, *, reason: str) -> None:
    """A permanent failure: tell the agent who wrote the reply (or the ticket's assignee)."""
    ticket = row.ticket
    if ticket is None:
        return
    users = []
    if row.ticket_message_id:
        author = Message.objects.filter(pk=row.ticket_message_id).select_related("author").first()
        if author and author.author:
            users.append(author.author)
    ticket = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
    if ticket.assignee:
        users.append(ticket.assignee)
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Mail to %(to)s on %(number)s could not be delivered: %(reason)s") % {
            "to": row.to,
            "number": ticket.number,
            "reason": reason,
        }
    url = reverse("agent:ticket", args=[ticket.pk])
    notify(users, kind="mail_failed", text=text, url=url, dedupe_key=f"mail-failed:{row.pk}")


def send_due(limit: int = 200) -> int:
    """Send every due mail (the periodic sweep; safe on many workers: each row is claimed)."""
    ids = list(
        OutboxMail.objects.filter(
            state__in=[OutboxState.PENDING, OutboxState.RETRYING], next_attempt_at__lte=now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if deliver(pk))
