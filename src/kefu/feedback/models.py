"""Surveys and product feedback: one CSAT survey per solved ticket, NPS per customer and month,
需求反馈 tags on messages with a supervisor's accuracy review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .config import PRODUCT_AREAS


class AnswerVia(models.TextChoices):
    MAIL = "mail", _("Mail link")
    PORTAL = "portal", _("Portal")
    CHAT = "chat", _("Chat widget")
    API = "api", _("API")


class Survey(models.Model):
    """The CSAT survey of one solved ticket: sent once, answered once (score 1–5)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="csat_survey")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    by_mail = models.BooleanField(default=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    send_claimed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_via = models.CharField(_("answered via"), max_length=10, choices=AnswerVia.choices, blank=True)

    class Meta:
        verbose_name = _("CSAT survey")
        verbose_name_plural = _("CSAT surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="csat_score_1_5"
            )
        ]
        indexes = [
            models.Index(fields=["answered_at"], name="csat_answered"),
            models.Index(fields=["sent_at"], name="csat_sent"),
        ]

    def __str__(self) -> str:
        return f"CSAT {self.ticket_id}: {self.score or '-'}"


class NpsSurvey(models.Model):
    """One NPS question (0–10) to one sampled customer for one month."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    period = models.DateField(_("month"))  # first day of the month
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    send_claimed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS survey")
        verbose_name_plural = _("NPS surveys")
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="nps_one_per_customer_month"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10), name="nps_score_0_10"
            ),
        ]
        indexes = [models.Index(fields=["answered_at"], name="nps_answered")]

    def __str__(self) -> str:
        return f"NPS {self.customer_id} {self.period:%Y-%m}: {self.score if self.score is not None else '-'}"


class Review(models.TextChoices):
    PENDING = "", _("Not reviewed")
    ACCURATE = "accurate", _("Accurate")
    INACCURATE = "inaccurate", _("Not accurate")


class ProductFeedback(models.Model):
    """A message tagged 需求反馈 (product feedback) with a product area; reviewed by a supervisor."""

    message = models.OneToOneField("tickets.Message", on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    area = models.CharField(_("product area"), max_length=30, choices=list(PRODUCT_AREAS.items()))
    note = models.CharField(_("note"), max_length=500, blank=True)
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("tagged"))
    review = models.CharField(_("review"), max_length=12, choices=Review.choices, blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("product feedback")
        verbose_name_plural = _("product feedback")
        indexes = [models.Index(fields=["reviewed_at"], name="pf_reviewed")]

    def __str__(self) -> str:
        return f"需求反馈 {self.area} (message {self.message_id})"
