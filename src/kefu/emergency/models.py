"""Models of the emergency app: plans (playbooks), their activations (incidents and drills), the
incident's timeline and linked tickets, and the watcher's per-minute run key (FAULTS B5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TriggerKind(models.TextChoices):
    VOLUME = "volume", _("Ticket volume surge")
    KEYWORD = "keyword", _("Keyword surge")
    SILENCE = "silence", _("Channel silence")
    SLA_BREACH = "sla_breach", _("SLA breach rate")


class EmergencyPlan(models.Model):
    """A playbook (应急预案): what to watch, the steps to take, who to tell, what to tell customers."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=12, choices=TriggerKind.choices)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    multiplier = models.FloatField(_("times the usual"), default=3.0)
    baseline_weeks = models.PositiveSmallIntegerField(_("baseline weeks"), default=4)
    min_count = models.PositiveIntegerField(_("at least (tickets)"), default=10)
    keyword = models.CharField(_("keyword"), max_length=50, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    percent = models.FloatField(_("breach rate above (%)"), default=20.0)
    cooldown_minutes = models.PositiveIntegerField(_("cool-down (minutes)"), default=60)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("contacts"), blank=True, related_name="+"
    )
    contact_emails = models.JSONField(_("contact emails"), default=list, blank=True)
    canned_reply = models.ForeignKey(
        "automation.CannedReply",
        verbose_name=_("broadcast reply template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    broadcast_text = models.TextField(_("broadcast reply"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")

    def __str__(self) -> str:
        return self.name


class ActivationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("emergency activation", "Open")
    RESOLVED = "resolved", _("Resolved")


class ActivationSource(models.TextChoices):
    TRIGGER = "trigger", _("Trigger fired")
    MANUAL = "manual", _("Activated by hand")
    DRILL = "drill", _("Drill")


class Activation(models.Model):
    """One episode of a plan (an incident), or a drill. One open real activation and one open drill
    per plan at most (the unique constraint settles a race between watchers)."""

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="activations")
    source = models.CharField(_("source"), max_length=10, choices=ActivationSource.choices)
    is_drill = models.BooleanField(_("drill"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivationStatus.choices, default=ActivationStatus.OPEN
    )
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    broadcast_at = models.DateTimeField(_("broadcast sent at"), null=True, blank=True)
    tickets = models.ManyToManyField("tickets.Ticket", through="IncidentTicket", related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "is_drill"], condition=Q(status="open"), name="uniq_emergency_open_activation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}@{self.started_at:%Y-%m-%d %H:%M}"


class IncidentTicket(models.Model):
    """A ticket linked to an incident; `replied_at` once the broadcast reply went to it (once)."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField()
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activation", "ticket"], name="uniq_emergency_incident_ticket")
        ]

    def __str__(self) -> str:
        return f"{self.activation_id}:{self.ticket_id}"


class EntryKind(models.TextChoices):
    FIRED = "fired", pgettext_lazy("emergency timeline", "Fired")
    STARTED = "started", _("Started")
    NOTIFIED = "notified", _("Notified")
    LINKED = "linked", _("Tickets linked")
    STEP = "step", _("Step done")
    BROADCAST = "broadcast", _("Broadcast sent")
    NOTE = "note", _("Note")
    RESOLVED = "resolved", _("Resolved")


class TimelineEntry(models.Model):
    """One line of an activation's timeline. A non-empty `key` is written once (a step ticked twice,
    a contact told twice by two workers: the second is a no-op)."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    key = models.CharField(max_length=120, blank=True)
    text = models.CharField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activation", "key"], condition=~Q(key=""), name="uniq_emergency_timeline_key"
            )
        ]

    def __str__(self) -> str:
        return self.text


class WatchRun(models.Model):
    """The watcher's run key: one row per minute slot, so N workers in the same minute run it once."""

    slot = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slot
