"""Work plans (客服工作计划): a plan, its SMART goals bound to registry metrics, and the review's findings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .states import PlanState


class PlanKind(models.TextChoices):
    TEAM = "team", _("Team work plan")
    PROCESS = "process", _("Process-optimisation plan")
    STRATEGY = "strategy", _("Service-strategy plan")
    AFTER_SALES_QUARTERLY = "after_sales_quarterly", _("Quarterly after-sales plan")
    PERSONAL = "personal", _("Personal plan")


class ScopeKind(models.TextChoices):
    SERVICE = "service", _("Whole service")
    TEAM = "team", _("Team")
    CHANNEL = "channel", _("Channel")
    PERSON = "person", _("Person")


# The sections of a plan, in the source documents' order: (field name, label).
SECTIONS: tuple[tuple[str, object], ...] = (
    ("guiding", _("Guiding principle (指导思想)")),
    ("review", _("Review of the current state (现状复盘)")),
    ("measures", _("Measures and actions")),
    ("implementation", _("Implementation and monitoring")),
    ("evaluation", _("Evaluation and continuous improvement")),
    ("emergency", _("Emergency plans (应急预案)")),
    ("assessment", _("Performance assessment and incentives")),
)


class Plan(models.Model):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=PlanKind.choices)
    template = models.CharField(_("template"), max_length=50, blank=True)
    period_label = models.CharField(_("period"), max_length=30)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    scope_kind = models.CharField(
        _("scope"), max_length=10, choices=ScopeKind.choices, default=ScopeKind.SERVICE
    )
    scope_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_channel = models.CharField(_("channel"), max_length=20, blank=True)
    scope_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_plans",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="plans", verbose_name=_("participants")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PlanState.choices, default=PlanState.DRAFT, db_index=True
    )
    # The sections, each sanitised HTML (kefu.core.sanitize.clean_html) — see SECTIONS.
    guiding = models.TextField(_("guiding principle"), blank=True)
    review = models.TextField(_("review"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    implementation = models.TextField(_("implementation and monitoring"), blank=True)
    evaluation = models.TextField(_("evaluation and improvement"), blank=True)
    emergency = models.TextField(_("emergency plans"), blank=True)
    assessment = models.TextField(_("assessment and incentives"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-start", "-pk"]
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        indexes = [models.Index(fields=["scope_kind", "state"])]

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    # A registry key (core.metrics); blank = a manual measure updated by hand with evidence.
    metric = models.CharField(_("metric"), max_length=60, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # {dimension: [values]} on top of the plan's scope (team, channel, category, tier, agent).
    filters = models.JSONField(_("scope filter"), default=dict, blank=True)
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    target = models.FloatField(_("target"))
    direction = models.CharField(
        _("direction"),
        max_length=6,
        choices=[("higher", _("higher is better")), ("lower", _("lower is better"))],
    )
    deadline = models.DateField(_("deadline"))
    core = models.BooleanField(_("core goal"), default=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_goals",
    )
    manual_value = models.FloatField(_("current value"), null=True, blank=True)
    manual_evidence = models.CharField(_("evidence"), max_length=500, blank=True)

    class Meta:
        ordering = ["plan", "position", "pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.title


class FindingState(models.TextChoices):
    KEPT = "kept", _("Kept")
    EDITED = "edited", _("Edited")
    DELETED = "deleted", _("Deleted")


class Finding(models.Model):
    """One sentence of the review, written from the data: its figure and the tickets behind it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField(default=0)
    topic = models.CharField(_("topic"), max_length=30)  # headline, category_volume, category_growth, quality
    metric = models.CharField(_("metric"), max_length=60, blank=True)
    text = models.TextField(_("text"))
    original_text = models.TextField(_("text as generated"))
    figure = models.CharField(_("figure"), max_length=60)
    value = models.FloatField(null=True, blank=True)
    link = models.CharField(_("tickets behind it"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=FindingState.choices, default=FindingState.KEPT
    )

    class Meta:
        ordering = ["plan", "position", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.text[:60]
