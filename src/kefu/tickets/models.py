"""Tickets, their conversation, attachments and the append-only event log."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStamped

from .states import Status


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("channel", "Email")  # 邮件, not the 邮箱 of a form field
    CHAT = "chat", _("Live chat")
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    # Doors an agent records for the customer (新建工单): a call, a walk-in, an app kefu does not read.
    WECHAT = "wechat", _("WeChat")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", pgettext_lazy("channel", "Other")


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    AFTER_SALES = "after_sales", _("After-sales (return / exchange / repair)")
    TECHNICAL = "technical", _("Technical")
    SUGGESTION = "suggestion", _("Suggestion")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["parent_id", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_category_name_in_parent")
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.label}" if self.parent_id else self.label

    @property
    def label(self) -> str:
        """The name in the reader's language: the English name in English when there is one."""
        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(TimeStamped):
    subject = models.CharField(_("subject"), max_length=300)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    type = models.CharField(
        _("type"), max_length=20, choices=TicketType.choices, default=TicketType.CONSULTATION
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_contact_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The shop order the request is about, read from the first message: routing sends a new ticket
    # about the same order back to its previous owner (首问负责制).
    order_ref = models.CharField(_("order number"), max_length=40, blank=True, db_default="", db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    version = models.PositiveIntegerField(default=1)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Working time from creation to the first reply on the team's business calendar, stored when
    # the reply is given (tickets.metrics.business explains why it is not computed at read time).
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status", "-updated_at", "-id"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "status", "-updated_at", "-id"], name="ticket_team_updated"),
            models.Index(fields=["customer", "-updated_at"], name="ticket_customer_updated"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return format_number(self.pk)


def format_number(pk: int | None) -> str:
    return f"KF-{pk:06d}" if pk else "KF-?"


# Full-width forms typed with a Chinese input method count as their ASCII twins: "ＫＦ－０００１２３".
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＫＦｋｆ－＃", "0123456789KFkf-#")
# Only ASCII digits after the translation: str.isdigit() also accepts "³", "①" and "٣", which int()
# refuses or reads as another number.
_NUMBER = re.compile(r"#*(?:[Kk][Ff]-)?([0-9]{1,11})")


def parse_number(text: str) -> int | None:
    """The ticket id in "KF-000123", "kf-123", "#123", "123" or their full-width forms; else None."""
    match = _NUMBER.fullmatch((text or "").strip().translate(_FULL_WIDTH))
    return int(match.group(1)) if match else None


def ascii_digits(text: str, *, max_length: int) -> int | None:
    """`text` as a number when it is 1 to `max_length` ASCII digits (a form's id or version), else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_length else None


ORDER_REF = re.compile(
    r"(?:订单编?号?|order\s*(?:no\.?|number|id|#)?)\s*[:：#]?\s*([A-Za-z]{0,4}\d{6,24})", re.IGNORECASE
)


def find_order_ref(text: str) -> str:
    """The first order number mentioned ("订单号 YS20261101000123", "order #123456"), upper-cased, or ""."""
    match = ORDER_REF.search(text or "")
    return match.group(1).upper()[:40] if match else ""


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")
    SYSTEM = "system", _("System")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_customer = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="uniq_message_channel_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.kind == MessageKind.PUBLIC


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{instance.sha256[:16]}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("event", "Created")  # 已创建, not a date column
    CHANGED = "changed", _("Changed")
    REPLIED = "replied", _("Replied")
    NOTED = "noted", _("Internal note")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    AUTO_RECEIVED = "auto_received", _("Automatic mail received")  # out-of-office: kept, never answered
    ASSIGNED = "assigned", _("Assigned")
    MERGED = "merged", _("Merged")
    MERGED_IN = "merged_in", _("Merged in")
    LINKED = "linked", _("Linked")
    SHARED = "shared", _("Shared with department")
    ATTACHMENT_REJECTED = "attachment_rejected", _("Attachment rejected")


class TicketEvent(models.Model):
    """Append-only audit trail: one row per change. Never updated, never deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    field = models.CharField(max_length=50, blank=True)
    old_value = models.CharField(max_length=300, blank=True)
    new_value = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            # the metrics read one kind of event over a period (solves, replies, assignments)
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} {self.old_value} → {self.new_value}"


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="uniq_ticket_link")]

    def __str__(self) -> str:
        return f"{self.source_id} ↔ {self.target_id}"


class TicketShare(models.Model):
    """A ticket shared with a department: its members see it and may add internal notes."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="shares")
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="shared_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "department"], name="uniq_ticket_share")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.department_id}"
