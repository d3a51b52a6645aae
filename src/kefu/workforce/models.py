"""Models of the workforce app: the contact forecast, promotion days, shift patterns, rosters, swaps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team


class PromotionDay(models.Model):
    """A sales event (618, 双11 …) that lifts contacts by `uplift` on its day (and, when `recurring`,
    on the same month and day every year)."""

    name = models.CharField(_("name"), max_length=80)
    on = models.DateField(_("day"))
    uplift = models.FloatField(_("uplift factor"), default=1.5)
    recurring = models.BooleanField(_("every year"), default=True)

    class Meta:
        ordering = ["on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "on"], name="workforce_promotion_unique"),
            models.CheckConstraint(
                condition=models.Q(uplift__gt=0), name="workforce_promotion_uplift_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.on}"


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ForecastRun(models.Model):
    """One forecast per night: the unique `night` is the run key, so of several workers starting the
    nightly job at once only one inserts the row and computes (B5)."""

    night = models.DateField(unique=True)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    first_day = models.DateField()
    days = models.PositiveSmallIntegerField(default=14)
    weeks = models.PositiveSmallIntegerField(default=8)  # weeks of history read
    history = models.PositiveIntegerField(default=0)  # tickets read
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-night"]

    def __str__(self) -> str:
        return f"forecast {self.night} ({self.state})"


class ForecastInterval(models.Model):
    """Expected contacts of one channel in one half-hour."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="intervals")
    channel = models.CharField(max_length=10)
    starts_at = models.DateTimeField()
    expected = models.FloatField()
    day_kind = models.CharField(max_length=12)  # workday / weekend / holiday / makeup / promotion

    class Meta:
        ordering = ["starts_at", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["run", "channel", "starts_at"], name="workforce_interval_unique")
        ]
        indexes = [models.Index(fields=["run", "starts_at"], name="workforce_interval_run_start")]

    def __str__(self) -> str:
        return f"{self.channel} {self.starts_at:%Y-%m-%d %H:%M} {self.expected:.1f}"


class ShiftPattern(models.Model):
    """A shift: start and end (an end at or before the start runs past midnight), a lunch break and
    the channels worked."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    break_start = models.TimeField(_("break starts"), null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=0)
    channels = models.CharField(_("channels"), max_length=120, blank=True, help_text=_("empty = all"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["start", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"


class RosterState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Roster(models.Model):
    """A team's week (Monday first). Routing reads only published rosters."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rosters")
    week_start = models.DateField()
    state = models.CharField(max_length=10, choices=RosterState.choices, default=RosterState.DRAFT)
    version = models.PositiveIntegerField(default=1)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "team__name"]
        constraints = [models.UniqueConstraint(fields=["team", "week_start"], name="workforce_roster_week")]

    def __str__(self) -> str:
        return f"{self.team} {self.week_start}"


class RosterEntry(models.Model):
    """One agent's shift on one day; the instants are fixed when the entry is made."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_entries"
    )
    day = models.DateField()
    pattern = models.ForeignKey(ShiftPattern, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    break_starts_at = models.DateTimeField(null=True, blank=True)
    break_ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "starts_at", "agent_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster", "agent", "day", "pattern"], name="workforce_entry_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="workforce_entry_order"
            ),
        ]
        indexes = [models.Index(fields=["agent", "starts_at"], name="workforce_entry_agent_start")]

    def __str__(self) -> str:
        return f"{self.agent} {self.day} {self.pattern}"


class SwapState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class SwapRequest(models.Model):
    """An agent asks to hand a shift to a colleague (optionally taking one of theirs back); a
    supervisor approves or rejects it."""

    entry = models.ForeignKey(RosterEntry, on_delete=models.CASCADE, related_name="swaps")
    other_entry = models.ForeignKey(
        RosterEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=SwapState.choices, default=SwapState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"swap {self.entry_id} → {self.to_agent_id} ({self.state})"
