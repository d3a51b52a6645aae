"""Tables of the automation app: canned replies (话术), triggers, time rules, macros, webhooks.

Rules are stored as JSON (conditions and actions) and validated by `automation.rules` when saved
through the services; a row never holds an unknown field or operator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStamped


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class CannedReply(TimeStamped):
    """A standard script. `owner` None = shared (edited by supervisors); else personal to its owner."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)

    class Meta:
        ordering = ["category", "title", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        indexes = [models.Index(fields=["owner", "active"], name="canned_owner_active")]

    def __str__(self) -> str:
        return self.title

    @property
    def shared(self) -> bool:
        return self.owner_id is None


class TriggerEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    REPLIED = "replied", _("Agent replied")
    CHANGED = "changed", _("Ticket changed")
    ASSIGNED = "assigned", _("Ticket assigned")
    NOTED = "noted", _("Internal note added")


class Match(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class Trigger(TimeStamped):
    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("event"), max_length=30, choices=TriggerEvent.choices)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        indexes = [models.Index(fields=["event", "active", "position"], name="trigger_event_active")]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    FIRED = "fired", _("Fired")
    CUT = "cut", _("Cut (loop guard)")
    FAILED = "failed", _("Failed")


class TriggerRun(models.Model):
    """One row per (trigger, event) that matched: a trigger fires once per event, and a cut chain says why."""

    trigger = models.ForeignKey(
        Trigger, verbose_name=_("trigger"), on_delete=models.CASCADE, related_name="runs"
    )
    event_id = models.BigIntegerField(
        _("event"),
    )
    ticket_id = models.BigIntegerField(_("ticket"), db_index=True)
    root_event_id = models.BigIntegerField(
        _("first event of the chain"),
    )
    depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    status = models.CharField(_("result"), max_length=10, choices=RunStatus.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("trigger run")
        verbose_name_plural = _("trigger runs")
        constraints = [models.UniqueConstraint(fields=["trigger", "event_id"], name="uniq_trigger_event")]

    def __str__(self) -> str:
        return f"{self.trigger_id}@{self.event_id} {self.status}"


class EventCause(models.Model):
    """A ticket event written by a trigger's action: which chain it belongs to and how deep."""

    event_id = models.BigIntegerField(unique=True)
    root_event_id = models.BigIntegerField()
    depth = models.PositiveSmallIntegerField()
    chain = models.JSONField(default=list)  # trigger ids fired so far in this chain

    def __str__(self) -> str:
        return f"{self.event_id} ← {self.root_event_id} ({self.depth})"


class TimeRuleKind(models.TextChoices):
    PENDING = "pending_for", _("Pending on the customer for")
    UNASSIGNED = "unassigned_for", _("Unassigned for")
    OPEN = "open_for", _("Open without update for")
    ON_HOLD = "on_hold_for", _("On hold for")


class TimeRule(TimeStamped):
    """When a ticket has been in a state for `minutes`, run the actions once per occurrence."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("when"), max_length=20, choices=TimeRuleKind.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")

    def __str__(self) -> str:
        return self.name


class TimeRuleRun(models.Model):
    """The unique run key: one row per (rule, ticket, occurrence); a second worker's insert fails."""

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="runs")
    ticket_id = models.BigIntegerField()
    occurrence = models.CharField(max_length=64)  # when the state began (ISO), identifies the episode
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.FIRED)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket_id", "occurrence"], name="uniq_time_rule_run")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.ticket_id}:{self.occurrence}"


class Macro(TimeStamped):
    """Several actions applied in one click from the ticket page. `owner` None = shared."""

    name = models.CharField(_("name"), max_length=200)
    actions = models.JSONField(_("actions"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name


class Webhook(TimeStamped):
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    circuit_open_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """The outbox: one row per payload to send; `delivery_id` is stable across retries."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.CharField(_("delivery id"), max_length=40, unique=True)
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    payload = models.JSONField(
        _("payload"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return self.delivery_id
