"""Tables of the mail app: mailboxes, every raw mail in and out, followers, the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_EXPECTED_TIME = "24–48 小时"
DEFAULT_REPLY_SUBJECT_ZH = "我们已收到您的邮件 [#{number}]"
DEFAULT_REPLY_BODY_ZH = (
    "您好，{name}：\n\n我们已收到您的邮件，工单号为 {number}。\n"
    "客服人员将在 {expected} 内回复您。如有紧急问题，请拨打服务热线 {hotline}。\n\n"
    "回复本邮件即可补充信息，请保留主题中的工单号。\n\n{company}"
)
DEFAULT_REPLY_SUBJECT_EN = "We received your email [#{number}]"
DEFAULT_REPLY_BODY_EN = (
    "Hello {name},\n\nWe have received your email; your ticket number is {number}.\n"
    "Our team will answer within {expected}. For urgent matters please call our hotline {hotline}.\n\n"
    "Reply to this email to add information, keeping the ticket number in the subject.\n\n{company}"
)


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback only)")


class ProcessedAction(models.TextChoices):
    KEEP = "keep", _("Keep (mark nothing)")
    FLAG = "flag", _("Mark as read")
    MOVE = "move", _("Move to a folder")


class ClosedReply(models.TextChoices):
    REOPEN = "reopen", _("Reopen the ticket")
    FOLLOW_UP = "follow_up", _("Open a linked follow-up ticket")


class Mailbox(models.Model):
    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"), unique=True)
    active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password_file = models.CharField(
        _("IMAP password file"),
        max_length=300,
        blank=True,
        help_text=_("Path of a file holding the password (a *_FILE secret). Wins over the stored one."),
    )
    imap_password_encrypted = models.TextField(_("stored password (encrypted)"), blank=True, editable=False)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    processed_action = models.CharField(
        _("processed mail"), max_length=10, choices=ProcessedAction.choices, default=ProcessedAction.FLAG
    )
    processed_folder = models.CharField(_("move to folder"), max_length=200, blank=True, default="kefu")
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("default category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_type = models.CharField(_("default type"), max_length=20, default="consultation")
    closed_reply = models.CharField(
        _("reply to a closed ticket"), max_length=10, choices=ClosedReply.choices, default=ClosedReply.REOPEN
    )
    plus_addressing = models.BooleanField(
        _("reply-to with ticket token"), default=False, help_text=_("Reply-To: local+KF-000123@domain")
    )
    max_message_bytes = models.PositiveIntegerField(_("largest message (bytes)"), default=25 * 1024 * 1024)
    bounce_too_large = models.BooleanField(_("answer too-large mail with a polite bounce"), default=False)
    auto_reply = models.BooleanField(_("auto-reply on new tickets"), default=True)
    auto_reply_subject_zh = models.CharField(
        _("auto-reply subject (Chinese)"), max_length=200, default=DEFAULT_REPLY_SUBJECT_ZH
    )
    auto_reply_body_zh = models.TextField(_("auto-reply text (Chinese)"), default=DEFAULT_REPLY_BODY_ZH)
    auto_reply_subject_en = models.CharField(
        _("auto-reply subject (English)"), max_length=200, default=DEFAULT_REPLY_SUBJECT_EN
    )
    auto_reply_body_en = models.TextField(_("auto-reply text (English)"), default=DEFAULT_REPLY_BODY_EN)
    expected_time = models.CharField(
        _("expected response time"), max_length=50, default=DEFAULT_EXPECTED_TIME
    )
    hotline = models.CharField(_("service hotline"), max_length=50, blank=True)
    # IMAP position: a restart never re-imports or skips
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID"), default=0, editable=False)
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class MailState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")


class Decision(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket")
    FOLLOW_UP = "follow_up", _("Follow-up")
    BOUNCE = "bounce", _("Bounce")
    AUTO_REPLY_SUPPRESSED = "auto_reply_suppressed", _("Automatic mail (no auto-reply)")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundMail(models.Model):
    """One raw mail as it arrived, stored before it is parsed (audit and re-processing)."""

    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mails",
    )
    source = models.CharField(_("source"), max_length=300, blank=True)  # imap:uid, smtp, import path
    raw = models.BinaryField()
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    # sha256 of what the mail says (parsing.content_digest), set once parsed: a mail reusing an
    # earlier Message-ID with other content is not a duplicate of it
    content_sha256 = models.CharField(max_length=64, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    from_email = models.CharField(_("sender"), max_length=254, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=MailState.choices, default=MailState.RECEIVED)
    decision = models.CharField(_("decision"), max_length=24, choices=Decision.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True, db_index=True)
    ticket_message_id = models.BigIntegerField(_("ticket message"), null=True, blank=True, db_index=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")
        indexes = [
            models.Index(fields=["mailbox", "sha256"], name="mail_in_box_sha"),
            models.Index(fields=["state", "-received_at"], name="mail_in_state"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.state})"


class KnownMessageId(models.Model):
    """Message-IDs kefu has seen or sent, mapped to their ticket: the threading index."""

    message_id = models.CharField(max_length=255, unique=True)
    ticket_id = models.BigIntegerField(db_index=True)
    outbound = models.BooleanField(default=False)
    recipient = models.CharField(max_length=254, blank=True)  # who an outbound mail went to

    def __str__(self) -> str:
        return self.message_id


class Follower(models.Model):
    """An address CC'd on a ticket's mail: copied on replies."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="mail_followers")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "email"], name="uniq_mail_follower")]

    def __str__(self) -> str:
        return self.email


class BouncedAddress(models.Model):
    email = models.EmailField(_("address"), unique=True)
    status = models.CharField(_("SMTP status"), max_length=20, blank=True)
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")

    def __str__(self) -> str:
        return self.email


class OutboxKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    BOUNCE = "bounce", _("Bounce")
    NOTICE = "notice", _("Notice to the customer")


class OutboxState(models.TextChoices):
    # A context of their own: the portal's "Sent" is a date's label (提交时间), these are states.
    PENDING = "pending", pgettext_lazy("outgoing mail state", "Sending")
    RETRYING = "retrying", pgettext_lazy("outgoing mail state", "Retrying")
    SENT = "sent", pgettext_lazy("outgoing mail state", "Sent")
    FAILED = "failed", pgettext_lazy("outgoing mail state", "Failed")


class OutboxMail(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    ticket_message = models.OneToOneField(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=OutboxKind.choices, default=OutboxKind.REPLY)
    to = models.CharField(_("to"), max_length=254)
    cc = models.TextField(_("cc"), blank=True)
    from_email = models.CharField(_("from"), max_length=254)
    reply_to = models.CharField(_("reply-to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=400)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        indexes = [models.Index(fields=["to", "kind", "created_at"], name="mail_out_to_kind")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.state})"


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Waiting for more replies")
    QUEUED = "queued", _("Handed to the outbox")
    SKIPPED = "skipped", _("Not sent")


class CustomerNotice(models.Model):
    """What a customer will be told by mail about one ticket: a burst of replies and status changes.

    One pending row per ticket (a partial unique constraint): each event appends its item and moves
    `not_before` on, so a burst becomes one mail. `notices.send_due` turns due rows into an
    `OutboxMail` with a compare-and-set on the state, so many workers never mail it twice.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING)
    # [{"event": id, "kind": "reply"|"status", "message": id|None, "status": new status}]
    items = models.JSONField(default=list)
    not_before = models.DateTimeField(db_index=True)
    first_at = models.DateTimeField()
    outbox = models.ForeignKey(OutboxMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)  # why a notice was not sent
    version = models.PositiveIntegerField(default=0)  # compare-and-set when an item is added
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notice to a customer")
        verbose_name_plural = _("notices to customers")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(state="pending"), name="uniq_pending_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {len(self.items)} ({self.state})"
