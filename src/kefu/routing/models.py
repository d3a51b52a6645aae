"""Tables of the routing app: triage models, suggestions, feedback, keyword rules, assignment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageField(models.TextChoices):
    TYPE = "type", _("Type")
    CATEGORY = "category", _("Category")
    TEAM = "team", _("Team")
    DEPARTMENT = "department", _("Department")
    PRIORITY = "priority", _("Priority")


class TriageModel(models.Model):
    """One trained classifier for one field. Versions are kept; one is active per field."""

    field = models.CharField(_("field"), max_length=50)
    version = models.PositiveIntegerField(_("version"))
    trained_at = models.DateTimeField(_("trained at"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict)
    blob = models.BinaryField()  # joblib dump of the fitted pipeline, zlib-compressed
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["field", "-version"]
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        constraints = [
            models.UniqueConstraint(fields=["field", "version"], name="uniq_triage_model_version"),
            models.UniqueConstraint(
                fields=["field"], condition=models.Q(is_active=True), name="uniq_triage_model_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field} v{self.version}"

    @property
    def accuracy(self) -> float | None:
        return (self.metrics or {}).get("accuracy")


class SuggestionState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SUGGESTED = "suggested", _("Suggested")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
    CORRECTED = "corrected", _("Corrected by an agent")


class TriagePrediction(models.Model):
    """What triage said about one field of one ticket, and what became of it."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=50)
    value = models.CharField(max_length=200)
    probability = models.FloatField()
    source = models.CharField(max_length=20)  # "model" or "rule"
    model = models.ForeignKey(TriageModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(
        "KeywordRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=SuggestionState.choices)
    # the model's next likeliest values of a suggestion, [[value, probability], …]
    alternatives = models.JSONField(default=list, blank=True)
    chosen = models.CharField(max_length=200, blank=True, default="")  # what the agent accepted
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket_id", "field"]
        constraints = [models.UniqueConstraint(fields=["ticket", "field"], name="uniq_triage_prediction")]

    def __str__(self) -> str:
        return f"{self.ticket_id}.{self.field}={self.value} ({self.probability:.2f})"


class TriageFeedback(models.Model):
    """An agent's verdict on a prediction: confirmed (accepted) or corrected. Feeds the next training."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=50)
    predicted = models.CharField(max_length=200)
    corrected = models.CharField(max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    event_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}.{self.field}: {self.predicted} → {self.corrected}"

    @property
    def was_right(self) -> bool:
        return self.predicted == self.corrected


class KeywordRule(models.Model):
    """Cold-start triage: any keyword found in the subject or body sets a field (checked in order)."""

    position = models.PositiveIntegerField(_("order"), default=100)
    keywords = models.CharField(
        _("keywords"), max_length=500, help_text=_("Comma- or space-separated; any one matches.")
    )
    field = models.CharField(_("field"), max_length=50, choices=TriageField.choices)
    value = models.CharField(_("value"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")

    def __str__(self) -> str:
        return f"{self.keywords} → {self.field}={self.value}"

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("，", ",").replace(",", " ").split() if k]


class RoutingSettings(models.Model):
    """Install-wide routing options (one row)."""

    threshold = models.FloatField(
        _("confidence threshold"),
        default=0.8,
        help_text=_("Predictions at or above this probability are applied; below, suggested."),
    )
    daily_cap = models.PositiveIntegerField(_("new tickets per agent per day"), default=50)
    chat_cap = models.PositiveIntegerField(_("concurrent chats per agent"), default=5)
    first_contact_days = models.PositiveIntegerField(
        _("days a returning customer goes back to their previous owner"), default=7
    )
    auto_assign = models.BooleanField(_("assign new tickets automatically"), default=True)

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentStatus(models.Model):
    """A simple availability record per agent: presence, working weekdays (1 = Monday … 7) and caps.

    Blank weekdays follow the agent's business calendar (their team's, else the default one);
    either way the calendar's holidays are days off and its make-up workdays (调休) are workdays.
    """

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.ONLINE
    )
    working_days = models.CharField(
        _("working days"),
        max_length=7,
        blank=True,
        default="",
        help_text=_("Digits 1 (Monday) to 7 (Sunday); blank: the days of the business calendar."),
    )
    daily_cap = models.PositiveIntegerField(_("daily cap"), null=True, blank=True)
    chat_cap = models.PositiveIntegerField(_("concurrent chat cap"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self) -> str:
        return f"{self.agent_id} {self.presence}"


class AgentLoad(models.Model):
    """New tickets assigned to an agent on one day: the counter behind the daily cap (compare-and-set)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "day"], name="uniq_agent_load_day")]

    def __str__(self) -> str:
        return f"{self.agent_id}@{self.day}: {self.assigned}"


class AssignmentRule(models.Model):
    """Ordered: the first active rule whose conditions match a ticket decides who is eligible."""

    position = models.PositiveIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    # conditions (blank = any)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    priority = models.CharField(_("priority"), max_length=10, blank=True)
    tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    keyword = models.CharField(_("keyword in subject or body"), max_length=100, blank=True)
    # effect
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("to team"),
    )
    skill = models.ForeignKey(
        "accounts.Skill",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("required skill"),
    )
    language = models.CharField(_("required language"), max_length=10, blank=True)
    senior_only = models.BooleanField(_("senior agents only"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class AssignmentReason(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("first-contact owner")
    SAME_ORDER = "same_order", _("same order, previous owner")
    RETURNING = "returning_customer", _("returning customer, previous owner")
    REOPENED = "reopened", _("reopened, back to its owner")
    RULE = "rule", _("assignment rule")
    LEAST_BUSY = "least_busy", _("least open work")
    UNASSIGNED = "unassigned", _("nobody available")


class AssignmentLog(models.Model):
    """Why a ticket went to whom: one row per (re)assignment made or refused by routing."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="routing_logs"
    )
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, choices=AssignmentReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    event_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="assignment_log_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.agent_id} ({self.reason})"


class RetrainRun(models.Model):
    """One row per nightly retrain slot: the unique day makes the job run once on many nodes."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    result = models.JSONField(default=dict)

    def __str__(self) -> str:
        return str(self.day)
