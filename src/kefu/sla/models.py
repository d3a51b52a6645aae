"""Tables of the sla app: business calendars, SLA policies with their targets, and timers.

A calendar keeps its weekly hours and custom days as JSON on one row, so a page of timers can
be shown in business time with one query (`select_related("calendar")`). The rules that make a
calendar valid live in `calendar.Calendar`; `services.save_calendar` checks them before saving.
"""

from __future__ import annotations

import functools
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core import businesstime as bt
from kefu.core.errors import ValidationFailed


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    tz = models.CharField(_("time zone"), max_length=64, default=bt.DEFAULT_TZ)
    statutory = models.BooleanField(
        _("Chinese statutory holidays and make-up workdays"),
        default=True,
        help_text=_("Public holidays are days off and make-up workdays (调休) are workdays."),
    )
    # [[["09:00", "12:00"], ["13:30", "18:00"]], …] — 7 lists, Monday first
    weekly = models.JSONField(_("weekly hours"), default=list)
    holidays = models.JSONField(_("custom holidays"), default=list, blank=True)  # ["2026-12-31", …]
    workdays = models.JSONField(_("custom workdays"), default=list, blank=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="uniq_sla_default_cal"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def value(self) -> bt.Calendar:
        """The pure calendar this row describes (raises ValidationFailed when it is not valid)."""
        return _build(
            self.tz,
            self.statutory,
            tuple(tuple((a, b) for a, b in day) for day in (self.weekly or [[]] * 7)),
            tuple(self.holidays or ()),
            tuple(self.workdays or ()),
            self.name,
        )


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ValidationFailed(_("Dates are written as YYYY-MM-DD."), field="days") from None


@functools.lru_cache(maxsize=256)
def _build(
    tz: str,
    statutory: bool,
    weekly: tuple[tuple[tuple[str, str], ...], ...],
    holidays: tuple[str, ...],
    workdays: tuple[str, ...],
    name: str,
) -> bt.Calendar:
    """Rows with the same content share one Calendar value (and its per-day interval cache)."""
    if len(weekly) != 7:
        raise ValidationFailed(_("A calendar has hours for each of the 7 weekdays."), field="periods")
    return bt.Calendar(
        weekly=tuple(tuple((bt.hm(a), bt.hm(b)) for a, b in day) for day in weekly),
        tz=tz,
        statutory=statutory,
        holidays=frozenset(_parse_day(d) for d in holidays),
        workdays=frozenset(_parse_day(d) for d in workdays),
        name=name,
    )


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    SOLUTION_PLAN = "solution_plan", _("Solution plan (green channel)")


class SlaPolicy(models.Model):
    """Targets for the tickets that match its conditions; the first matching policy (lowest position) wins.

    An empty condition list matches everything.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    types = models.JSONField(_("types"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    team_ids = models.JSONField(_("teams"), default=list, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        verbose_name=_("calendar"),
        help_text=_("Empty: the calendar of the ticket's team or channel, else the default one."),
    )
    pause_on_hold = models.BooleanField(_("pause while on hold with a department"), default=True)
    warn_percent = models.PositiveSmallIntegerField(_("warn at (percent of the target)"), default=80)
    notify_on_breach = models.BooleanField(_("on breach: notify team lead and supervisors"), default=True)
    raise_priority_on_breach = models.BooleanField(_("on breach: raise priority"), default=False)
    reassign_on_breach = models.BooleanField(_("on breach: reassign to a senior agent"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class PolicyTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    seconds = models.PositiveIntegerField(_("target (seconds)"))
    business_time = models.BooleanField(_("in business time"), default=True)
    channel = models.CharField(
        _("only on channel"), max_length=10, blank=True, help_text=_("Empty: every channel.")
    )

    class Meta:
        ordering = ["policy", "metric", "channel"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "channel"], name="uniq_sla_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.seconds}s"


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATES = (TimerState.RUNNING, TimerState.PAUSED)


class SlaTimer(models.Model):
    """One target on one ticket. The sweep reads `check_at` (the next warn or due instant) only.

    `check_at` is null unless the timer is running and still has a warning or a breach to fire,
    so the index on it holds exactly the work to come, whatever the number of open tickets.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_timers", verbose_name=_("ticket")
    )
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=TimerState.choices, default=TimerState.RUNNING
    )
    business_time = models.BooleanField(default=True)
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    check_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)  # while paused
    warned_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        indexes = [
            models.Index(
                fields=["check_at"], name="sla_timer_check", condition=models.Q(check_at__isnull=False)
            ),
            models.Index(fields=["ticket", "state"], name="sla_timer_ticket"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric"],
                condition=models.Q(state__in=["running", "paused"]),
                name="uniq_sla_active_timer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.state}"


class RecomputeCause(models.TextChoices):
    POLICY = "policy", _("Policy edited")
    CALENDAR = "calendar", _("Calendar edited")


class SlaRecompute(models.Model):
    """The log of a policy or calendar edit moving the due times of timers already running."""

    cause = models.CharField(_("cause"), max_length=10, choices=RecomputeCause.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("recomputed at"))
    checked = models.PositiveIntegerField(_("timers checked"), default=0)
    moved = models.PositiveIntegerField(_("timers moved"), default=0)
    cancelled = models.PositiveIntegerField(_("timers cancelled"), default=0)
    tickets = models.PositiveIntegerField(_("tickets affected"), default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    queued = False  # not stored: True on the unsaved entry an edit returns when a task does the work

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("SLA recomputation")
        verbose_name_plural = _("SLA recomputations")

    def __str__(self) -> str:
        return f"{self.cause} {self.at:%Y-%m-%d %H:%M} moved {self.moved}"


class StatutoryYear(models.Model):
    """The State Council's holiday notice for a year chinese-calendar does not know yet, entered by
    a supervisor. `days`: [{"day": "2027-10-01", "kind": "holiday" | "makeup", "name": "国庆节"}, …].

    core.businesstime reads them through the hook the app registers (`services.entered_statutory_days`);
    once the installed package knows the year, its own data wins and this row is no longer read."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    days = models.JSONField(_("days"), default=list)
    notice = models.CharField(_("notice"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("statutory holidays of a year")
        verbose_name_plural = _("statutory holidays of years")

    def __str__(self) -> str:
        return str(self.year)
