"""Quality inspection (质检): scorecards, weekly samples, reviews with comments on messages, disputes,
calibration sessions, coaching notes and the automatic checks of agent replies.

Rules live in services.py and scoring.py; these are the rows and their one-row invariants.
`Scorecard`, `ScorecardItem` and `scoring.score()` are reused by training's scenario tests: keep
their names stable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import Message, Ticket


class ItemKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / No / N/A")
    SCALE = "scale", _("1–5")


class Scorecard(models.Model):
    """A QA scorecard: named sections, each with weighted items (weights add up to 100)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    sections = models.JSONField(_("sections"), default=list, blank=True)  # ordered section names
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-active", "name"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name


class ScorecardItem(models.Model):
    """One question of a scorecard. A critical item answered "no" (or 1 on a 1–5 scale) zeroes the score."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(_("section"), max_length=100)
    text = models.CharField(_("item"), max_length=300)
    help_text = models.CharField(_("guidance"), max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"))
    kind = models.CharField(
        _("answer kind"), max_length=10, choices=ItemKind.choices, default=ItemKind.YES_NO
    )
    critical = models.BooleanField(_("critical"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scorecard", "position", "pk"]
        verbose_name = _("scorecard item")
        verbose_name_plural = _("scorecard items")
        constraints = [
            models.CheckConstraint(condition=Q(weight__lte=100), name="quality_item_weight_le_100"),
        ]

    def __str__(self) -> str:
        return f"{self.section}: {self.text}"


class SampleReason(models.TextChoices):
    RANDOM = "random", _("Random share")
    LOW_CSAT = "low_csat", _("Low CSAT")
    COMPLAINT = "complaint", _("Complaint")
    REOPENED = "reopened", _("Reopened")
    NEW_HIRE = "new_hire", _("New hire's first tickets")


class SamplingRun(models.Model):
    """The weekly sampling of one week (its Monday): the unique row makes the job act once (B5)."""

    week = models.DateField(_("week"), unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sampled = models.PositiveIntegerField(_("tickets sampled"), default=0)
    solved = models.PositiveIntegerField(_("tickets solved"), default=0)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("sampling run")
        verbose_name_plural = _("sampling runs")

    def __str__(self) -> str:
        return self.week.isoformat()


class Sample(models.Model):
    """A ticket picked for review in a week, with why, for which agent, and the QA reviewer it went to."""

    run = models.ForeignKey(SamplingRun, on_delete=models.CASCADE, related_name="samples")
    week = models.DateField(_("week"))
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reasons = models.JSONField(_("reasons"), default=list)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["week", "pk"]
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        constraints = [models.UniqueConstraint(fields=["week", "ticket"], name="quality_sample_once")]
        indexes = [models.Index(fields=["reviewer", "week"], name="quality_sample_reviewer")]

    def __str__(self) -> str:
        return f"{self.week} {self.ticket_id}"


class CalibrationSession(models.Model):
    """Several reviewers score the same ticket with the same scorecard; the spread is compared."""

    title = models.CharField(_("title"), max_length=200)
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+"
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("reviewers")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.title


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting the agent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPUTED = "disputed", _("Disputed")
    SETTLED = "settled", _("Dispute settled")


class Review(models.Model):
    """One reviewer's scoring of one ticket. The same reviewer reviewing the same ticket again edits
    this row (unique per ticket and reviewer, and per calibration session and reviewer)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="reviews"
    )
    sample = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    calibration = models.ForeignKey(
        CalibrationSession, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    answers = models.JSONField(_("answers"), default=dict)  # {item id (str): "yes"|"no"|"na"|1..5}
    item_scores = models.JSONField(default=dict)  # {item id (str): points earned, null when N/A}
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    zeroed_by_critical = models.BooleanField(_("zeroed by a critical item"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "reviewer"],
                condition=Q(calibration__isnull=True),
                name="quality_review_once_per_reviewer",
            ),
            models.UniqueConstraint(
                fields=["calibration", "reviewer"],
                condition=Q(calibration__isnull=False),
                name="quality_calibration_once_per_reviewer",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "status"], name="quality_review_agent"),
            models.Index(fields=["submitted_at"], name="quality_review_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} / {self.reviewer_id}"


class ReviewComment(models.Model):
    """A reviewer's comment on one message of the reviewed conversation (or on the whole review)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("message")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return self.text[:40]


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Score upheld")
    CHANGED = "changed", _("Score changed")


class Dispute(models.Model):
    """An agent disputing a review, settled by a supervisor (score upheld, or changed) with a note."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    raised_at = models.DateTimeField(_("raised at"))
    status = models.CharField(
        _("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    note = models.TextField(_("supervisor's note"), blank=True)
    original_total = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["status", "raised_at"], name="quality_dispute_status")]

    def __str__(self) -> str:
        return f"{self.review_id} {self.status}"


class CoachingNote(models.Model):
    """A coaching note for an agent, linked to the review it comes from."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="coaching_notes")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("coaching note"))
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("coaching note")
        verbose_name_plural = _("coaching notes")

    def __str__(self) -> str:
        return self.text[:40]


class CheckKind(models.TextChoices):
    FORBIDDEN = "forbidden", _("Forbidden phrase")
    TEMPLATE = "template", _("Unedited canned reply on a complex case (机械套模板)")
    NO_GREETING = "no_greeting", _("No greeting")
    NO_CLOSING = "no_closing", _("No closing")


class ReplyCheck(models.Model):
    """A finding of the automatic checks on one agent reply (one row per message and kind)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("check"), max_length=12, choices=CheckKind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("found at"))

    class Meta:
        ordering = ["message_id", "kind"]
        verbose_name = _("reply check")
        verbose_name_plural = _("reply checks")
        constraints = [models.UniqueConstraint(fields=["message", "kind"], name="quality_check_once")]
        indexes = [models.Index(fields=["agent", "created_at"], name="quality_check_agent")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.kind}"


class CheckSettings(models.Model):
    """The service standard the automatic reply checks apply (one row, edited by supervisors)."""

    forbidden_phrases = models.JSONField(_("forbidden phrases"), default=list, blank=True)
    greeting_phrases = models.JSONField(_("greeting phrases"), default=list, blank=True)
    closing_phrases = models.JSONField(_("closing phrases"), default=list, blank=True)
    require_greeting = models.BooleanField(_("first reply must greet"), default=True)
    require_closing = models.BooleanField(_("last reply must close"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reply check settings")
        verbose_name_plural = _("reply check settings")

    def __str__(self) -> str:
        return "reply checks"
