"""Models of the collaboration app: department settings, tasks and their milestones, syncs and
digests, approvals of special requests, delay causes.

Department calendars live here, not in `sla`: sla is a sibling app in the same layer, so
collaboration may not import its BusinessCalendar rows. A department keeps its own working days
and hours (one row, `DepartmentSettings`) and the arithmetic is `kefu.core.businesstime.Calendar`,
the shared kernel both apps use — Chinese statutory holidays and 调休 included.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core import businesstime


class DepartmentSettings(models.Model):
    """One row per department: its calendar, lead and sync times."""

    department = models.OneToOneField(
        "accounts.Department", on_delete=models.CASCADE, related_name="collab_settings"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The calendar: working weekdays (1 = Monday … 7 = Sunday) and hours; empty weekdays = no calendar.
    weekdays = models.CharField(_("working weekdays"), max_length=7, blank=True, default="")
    day_start = models.TimeField(_("working day starts"), default=time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=time(18, 0))
    statutory = models.BooleanField(_("follow Chinese statutory holidays"), default=True)
    # "10:00,16:00": the daily syncs on working days.
    sync_times = models.CharField(_("sync times"), max_length=100, blank=True, default="10:00,16:00")

    class Meta:
        verbose_name = _("department settings")
        verbose_name_plural = _("department settings")

    def __str__(self) -> str:
        return str(self.department_id)

    @property
    def has_calendar(self) -> bool:
        return bool(self.weekdays) and self.day_end > self.day_start

    def calendar(self) -> businesstime.Calendar:
        start = self.day_start.strftime("%H:%M")
        end = self.day_end.strftime("%H:%M")
        days = [int(d) - 1 for d in self.weekdays if d.isdigit() and 1 <= int(d) <= 7]
        return businesstime.Calendar.office(((start, end),), weekdays=days, statutory=self.statutory)


class TaskKind(models.Model):
    """What a department can be asked for, with its target in working hours of that department."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    target_minutes = models.PositiveIntegerField(_("target (working minutes)"))

    class Meta:
        ordering = ["department_id", "name"]
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="uniq_collab_task_kind")]

    def __str__(self) -> str:
        return self.name


class MilestoneKind(models.Model):
    """A step a department records on a task (已收货, 已质检…), its target and a customer reply."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    # Working minutes from the moment it happened (the parcel arrived) to when it was recorded.
    target_minutes = models.PositiveIntegerField(_("target (working minutes)"))
    reply_template = models.TextField(_("reply to the customer"), blank=True, default="")

    class Meta:
        ordering = ["department_id", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="uniq_collab_milestone_kind")
        ]

    def __str__(self) -> str:
        return self.name


class DelayCause(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", pgettext_lazy("department task", "Accepted")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


OPEN_TASK_STATUSES = (TaskStatus.REQUESTED, TaskStatus.ACCEPTED)


class Task(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="collab_tasks")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    kind = models.ForeignKey(TaskKind, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"))
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    delay_cause = models.ForeignKey(
        DelayCause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    blocked = models.BooleanField(_("blocked"), default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["department", "status", "due_at"], name="collab_task_dept_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    def is_late(self, at=None) -> bool:  # noqa: ANN001
        from kefu.core.clock import now

        end = self.finished_at or at or now()
        return end > self.due_at and self.status != TaskStatus.REJECTED


EVENT_LABELS = {
    "requested": pgettext_lazy("department task", "Asked"),
    "accepted": pgettext_lazy("department task", "Accepted"),
    "done": pgettext_lazy("department task", "Done"),
    "rejected": _("Rejected"),
    "milestone": _("Milestone"),
    "escalated": _("Escalated"),
    "cause": _("Delay cause"),
    "blocked": _("Blocked"),
    "unblocked": _("Going again"),
}


class TaskEvent(models.Model):
    """Append-only log of a task's steps: the monthly review's time per step comes from it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)  # requested, accepted, done, rejected, milestone, escalated, cause
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True, default="")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.task_id}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class Milestone(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    kind = models.ForeignKey(MilestoneKind, on_delete=models.PROTECT, related_name="+")
    happened_at = models.DateTimeField()
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_at = models.DateTimeField()
    on_time = models.BooleanField()
    replied = models.BooleanField(default=False)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "kind"], name="uniq_collab_milestone")]

    def __str__(self) -> str:
        return f"{self.kind_id} #{self.task_id}"


class Sync(models.Model):
    """One scheduled sync of a department: the unique (department, slot) makes it happen once."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    created_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-slot", "id"]
        constraints = [models.UniqueConstraint(fields=["department", "slot"], name="uniq_collab_sync_slot")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.slot:%Y-%m-%d %H:%M}"


class SyncSection(models.TextChoices):
    DUE_TODAY = "due_today", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    BLOCKED = "blocked", _("Blocked")


class SyncMark(models.TextChoices):
    NONE = "", _("Not seen")
    SEEN = "seen", _("Seen")
    UPDATED = "updated", pgettext_lazy("sync mark", "Updated")


class SyncItem(models.Model):
    sync = models.ForeignKey(Sync, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=10, choices=SyncSection.choices)
    # Each side marks the item: the department and the service team.
    department_mark = models.CharField(max_length=10, choices=SyncMark.choices, blank=True, default="")
    department_marked_at = models.DateTimeField(null=True, blank=True)
    service_mark = models.CharField(max_length=10, choices=SyncMark.choices, blank=True, default="")
    service_marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["section", "task_id"]
        constraints = [models.UniqueConstraint(fields=["sync", "task"], name="uniq_collab_sync_item")]

    def __str__(self) -> str:
        return f"{self.section} #{self.task_id}"


class ApprovalKind(models.TextChoices):
    REFUND = "refund", _("Refund over the limit")
    KEY_CUSTOMER = "key_customer", _("Exception for a key customer")
    GREEN_CHANNEL = "green_channel", _("Green channel")


class ApprovalRule(models.Model):
    """Who approves a kind of request: the first matching rule (amount at least `min_amount`)."""

    kind = models.CharField(max_length=20, choices=ApprovalKind.choices)
    min_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["kind", "-min_amount", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ≥ {self.min_amount}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")


class Approval(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="collab_approvals")
    kind = models.CharField(max_length=20, choices=ApprovalKind.choices)
    description = models.TextField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
