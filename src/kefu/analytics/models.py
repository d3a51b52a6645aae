"""Tables of the analytics app: daily rollups of every metric, their bookkeeping, report subscriptions.

`MetricDay` holds one row per (metric, local day, dimension, group) with the numerator and
denominator the metric's own SQL gave for that day (dimension "" = not cut). `RollupState` says,
per metric, which days the rows cover, up to which ticket event they have seen (the watermark)
and which definition built them; the rollup task claims a lease on the "*" row so that only one
node refreshes at a time (rollups.refresh).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricDay(models.Model):
    metric = models.CharField(_("metric"), max_length=64)
    day = models.DateField(_("day"))
    dimension = models.CharField(_("dimension"), max_length=32, blank=True)  # "" = not cut
    group = models.CharField(_("group"), max_length=200, blank=True)
    num = models.FloatField(_("numerator"), default=0.0)
    den = models.FloatField(_("denominator"), default=0.0)

    class Meta:
        verbose_name = _("metric day")
        verbose_name_plural = _("metric days")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "dimension", "day", "group"], name="uniq_analytics_metric_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} {self.dimension}={self.group}"


class RollupState(models.Model):
    """Per metric: the days covered and the last ticket event seen. Key "*" holds the refresh lease."""

    key = models.CharField(_("metric"), max_length=64, unique=True)
    built_from = models.DateField(_("covered from"), null=True, blank=True)
    built_to = models.DateField(_("covered to"), null=True, blank=True)
    watermark = models.BigIntegerField(_("last event seen"), default=0)
    signature = models.CharField(_("definition"), max_length=64, blank=True)
    lease_token = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return self.key


class ReportSubscription(models.Model):
    """Who receives which periodic report, in which format (delivered by analytics.reports)."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly service report")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (XLSX)"

    kind = models.CharField(_("report"), max_length=20, choices=Kind.choices, default=Kind.MONTHLY)
    recipients = models.TextField(
        _("recipients"), help_text=_("Email addresses, one per line or comma-separated.")
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.PDF)
    active = models.BooleanField(_("active"), default=True)
    last_sent_period = models.CharField(_("last period sent"), max_length=20, blank=True)  # e.g. "2026-10"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipients[:60]}"
