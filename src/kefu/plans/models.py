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


# =========================================================================== evaluations, own templates
# (output / evaluations helper: Evaluation, PlanSuccession, PlanTemplate)


class EvaluationKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly check-in")
    FINAL = "final", _("End-of-period review")


class Evaluation(models.Model):
    """A monthly check-in or the end-of-period review of a plan: what the data said when it was
    written (`snapshot`, frozen at sign-off), the author's conclusions, and the owner's sign-off."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="evaluations")
    kind = models.CharField(_("kind"), max_length=10, choices=EvaluationKind.choices)
    period_label = models.CharField(_("period"), max_length=30)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    snapshot = models.JSONField(_("figures"), default=dict, blank=True)
    conclusions = models.TextField(_("conclusions"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "-start", "kind", "pk"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind", "start"], name="plans_one_evaluation_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.period_label}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class PlanSuccession(models.Model):
    """A closed plan seeded the next period's plan (once)."""

    previous = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="successor_link")
    next = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="predecessor_link")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("plan succession")
        verbose_name_plural = _("plan successions")

    def __str__(self) -> str:
        return f"{self.previous_id} → {self.next_id}"


class PlanTemplate(models.Model):
    """A template a user saved from a plan: kind, sections and goals without figures."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=PlanKind.choices)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    # [{metric, title, target, direction, unit, filters, core, weight}]: no baseline, no values.
    goals = models.JSONField(_("goals"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("plan template")
        verbose_name_plural = _("plan templates")

    def __str__(self) -> str:
        return self.name


# =========================================================================== actions, pilots,
# suggestions and at-risk notices (issue 21, items 3 and 4) — see actions.py, suggestions.py,
# notices.py. Another engineer appends other models below; keep these together.


class ActionKind(models.TextChoices):
    PROCESS = "process", _("Process")
    COLLABORATION = "collaboration", _("Collaboration")
    TRAINING = "training", _("Training")
    CARE = "care", _("Customer care")
    TOOLS = "tools", _("Tools")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class PilotDimension(models.TextChoices):
    TEAM = "team", _("Team")
    CATEGORY = "category", _("Category")


class Action(models.Model):
    """A measure of the plan with an owner and dates. A recurring action (`rule`, an RFC 5545
    RRULE) is the pattern: its occurrences are actions of their own (`parent`, `occurs_at`), one per
    slot on a working day, unique per (parent, slot). A pilot applies the action to a subset (teams
    or categories) and compares its metrics against the rest in the same period."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
    )
    start = models.DateField(_("start"))
    due = models.DateField(_("due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED, db_index=True
    )
    goals = models.ManyToManyField(Goal, blank=True, related_name="actions", verbose_name=_("goals"))
    resources = models.TextField(_("resources"), blank=True)
    evidence = models.JSONField(_("evidence links"), default=list, blank=True)
    rule = models.CharField(_("recurrence rule"), max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    occurs_at = models.DateTimeField(_("occurs at"), null=True, blank=True)
    pilot_dimension = models.CharField(
        _("pilot on"), max_length=10, choices=PilotDimension.choices, blank=True
    )
    pilot_values = models.JSONField(_("pilot subset"), default=list, blank=True)
    pilot_metrics = models.JSONField(_("pilot metrics"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "occurs_at"],
                condition=models.Q(parent__isnull=False),
                name="uniq_plans_action_occurrence",
            )
        ]
        indexes = [models.Index(fields=["plan", "status", "due"])]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("text"), max_length=200)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["action", "position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Suggestion(models.Model):
    """An improvement any agent proposes for a plan; the owner accepts it as an action or declines
    it with a reason; an accepted one may be rewarded."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="suggestions")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_suggestions"
    )
    created_at = models.DateTimeField(_("proposed at"))
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    action = models.OneToOneField(
        Action, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestion"
    )
    reward = models.CharField(_("reward"), max_length=200, blank=True)
    reward_amount = models.DecimalField(
        _("reward amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    rewarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rewarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("staff suggestion")
        verbose_name_plural = _("staff suggestions")

    def __str__(self) -> str:
        return self.title


class GoalWatch(models.Model):
    """The last status the at-risk check saw for a goal, and how many times it changed (the number
    of the turn keys the notice, so one turn is told once however many workers run the check)."""

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="watch")
    status = models.CharField(max_length=12, blank=True)
    turns = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.status}"
