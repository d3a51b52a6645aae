"""Models of the training app: courses and their modules, assessments (question banks and scenario
tests) and attempts, sessions with attendance, onboarding programmes with stages and sign-offs,
mentorships, quarterly reusable-case tasks and the per-team scorecard targets.

Rules live in services.py; a row only guards its own invariants (constraints below)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class Track(models.TextChoices):
    NEW_HIRE = "new_hire", _("New hire")
    EXPERIENCED = "experienced", _("Experienced")
    SENIOR = "senior", _("Senior / mentor")


class Topic(models.TextChoices):
    BASIC = "basic", _("Basic")
    ADVANCED = "advanced", _("Advanced")


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    track = models.CharField(_("track"), max_length=20, choices=Track.choices, default=Track.NEW_HIRE)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, default=Topic.BASIC)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["track", "topic", "title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class AssessmentKind(models.TextChoices):
    QUIZ = "quiz", _("Question bank")
    SCENARIO = "scenario", _("Scenario test")


class Assessment(models.Model):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AssessmentKind.choices)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"))
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    # A scenario test plays a case from the case library (knowledge article of kind "case").
    case = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A scenario test is scored by a reviewer with a QA scorecard (kefu.quality.scoring.score).
    scorecard = models.ForeignKey(
        "quality.Scorecard", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100), name="training_pass_mark_1_100"
            ),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="training_max_attempts_1"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SHORT = "short", _("Short answer")


class Question(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.TextField()
    choices = models.JSONField(default=list, blank=True)  # ["…", "…"]
    correct = models.JSONField(default=list, blank=True)  # indexes into choices
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "order"], name="training_question_order")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}#{self.order}"


class ScenarioTurn(models.Model):
    """One scripted customer line of a scenario test; the trainee answers each in a reply box."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="turns")
    order = models.PositiveSmallIntegerField()
    customer_text = models.TextField()

    class Meta:
        ordering = ["assessment", "order"]
        constraints = [models.UniqueConstraint(fields=["assessment", "order"], name="training_turn_order")]

    def __str__(self) -> str:
        return f"{self.assessment_id}#{self.order}"


class ModuleKind(models.TextChoices):
    READING = "reading", _("Reading")
    PRACTICE = "practice", _("Practice")
    ASSESSMENT = "assessment", _("Assessment")


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=ModuleKind.choices)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="modules"
    )

    class Meta:
        ordering = ["course", "order"]
        constraints = [models.UniqueConstraint(fields=["course", "order"], name="training_module_order")]

    def __str__(self) -> str:
        return self.title


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="training_enrolments")
    due_on = models.DateField(_("due on"))
    via_role = models.CharField(max_length=20, blank=True)  # "" = enrolled by hand
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="training_one_enrolment")]
        indexes = [models.Index(fields=["due_on"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.course_id}"


class ModuleDone(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="done")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "module"], name="training_module_done_once")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.module_id}"


class AttemptStatus(models.TextChoices):
    OPEN = "open", _("Answering")
    MARKING = "marking", _("Awaiting review")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class Attempt(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="training_attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.OPEN)
    answers = models.JSONField(default=dict, blank=True)  # {"q<id>": [..] | "text", "t<id>": "reply"}
    marks = models.JSONField(default=dict, blank=True)  # points per question id, or scorecard results
    score = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "user", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user", "number"], name="training_attempt_number"),
            # One attempt in progress per trainee and assessment: two submits at once make one attempt.
            models.UniqueConstraint(
                fields=["assessment", "user"], condition=Q(status="open"), name="training_one_open_attempt"
            ),
        ]
        indexes = [models.Index(fields=["marked_at"])]

    def __str__(self) -> str:
        return f"{self.assessment_id} / {self.user_id} #{self.number}"


class SessionKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    MENTOR_MEETING = "mentor_meeting", _("Mentor–mentee meeting")
    CLASS = "class", _("Class")


class Session(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    host = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="training_attend_once")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.user_id}"


# ----------------------------------------------------------------------------------------- onboarding


class StageKind(models.TextChoices):
    SHADOWING = "shadowing", _("Shadowing a senior")
    DRILLS = "drills", _("Drills on the case library")
    SUPERVISED = "supervised", _("Supervised independent work")
    PRESSURE_TEST = "pressure_test", _("Pressure test")


class SignoffBy(models.TextChoices):
    MENTOR = "mentor", _("Mentor")
    SUPERVISOR = "supervisor", _("Supervisor")


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=StageKind.choices)
    title = models.CharField(max_length=200)
    days = models.PositiveSmallIntegerField(default=5)
    daily_ticket_quota = models.PositiveSmallIntegerField(default=0)  # tickets a day with the senior
    entry_condition = models.CharField(max_length=300, blank=True)  # shown to people
    exit_condition = models.CharField(max_length=300, blank=True)
    signoff_by = models.CharField(max_length=12, choices=SignoffBy.choices, default=SignoffBy.MENTOR)
    # Exit needs this course completed / this assessment passed, when set.
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    daily_feedback = models.BooleanField(default=False)  # the mentor gives feedback each day

    class Meta:
        ordering = ["programme", "order"]
        constraints = [models.UniqueConstraint(fields=["programme", "order"], name="training_stage_order")]

    def __str__(self) -> str:
        return self.title


class OnboardingStatus(models.TextChoices):
    ACTIVE = "active", _("In training")
    CONFIRMED = "confirmed", _("Confirmed (转正)")
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed")


class Onboarding(models.Model):
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="onboardings")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="onboardings")
    senior = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    supervisor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=OnboardingStatus.choices, default=OnboardingStatus.ACTIVE
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.TextField(blank=True)
    days = models.PositiveIntegerField(null=True, blank=True)  # start to confirmation, calendar days
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="active"), name="training_one_active_onboarding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.status})"


class StageSignoff(models.Model):
    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="signoffs")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["onboarding", "stage"], name="training_signoff_once")]

    def __str__(self) -> str:
        return f"{self.onboarding_id}: {self.stage_id}"


class DailyFeedback(models.Model):
    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="feedback")
    day = models.DateField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    tickets = models.PositiveSmallIntegerField(default=0)
    note = models.TextField()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["onboarding", "day"], name="training_feedback_daily")]

    def __str__(self) -> str:
        return f"{self.onboarding_id}: {self.day}"


# -------------------------------------------------------------------------------------------- mentors


class Mentorship(models.Model):
    mentor = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="mentees_as_mentor")
    mentee = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="mentors_as_mentee")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    paired_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    over_limit = models.BooleanField(default=False)  # the mentor had 3 or more mentees already
    warning = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["mentor", "started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentee"], condition=Q(ended_on__isnull=True), name="training_one_mentor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.mentee_id}"


# ---------------------------------------------------------------------------------- reusable cases


class CaseTask(models.Model):
    """An experienced agent's reusable case for one quarter: done when a case they wrote is published."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="case_tasks")
    quarter = models.CharField(max_length=7)  # "2026Q2"
    due_on = models.DateField()
    article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quarter", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "quarter"], name="training_case_per_quarter")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.quarter}"


# ----------------------------------------------------------------------------------------- scorecard


class ScorecardTarget(models.Model):
    """A team's monthly target for one figure of the agent scorecard (read by key from core.metrics)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    target = models.FloatField()

    class Meta:
        ordering = ["team", "key"]
        constraints = [models.UniqueConstraint(fields=["team", "key"], name="training_target_once")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.key}"
