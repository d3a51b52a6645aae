"""Scheduled syncs with departments (default 10:00 and 16:00 on the department's working days).

At each sync a digest — tasks due today, overdue and blocked, with links — goes to the department's
members and to the service team (supervisors and the agents who asked), and is recorded: one `Sync`
row per (department, slot) and one `SyncItem` per task, which each side marks seen or updated.
The unique (department, slot) is the run key: several workers in the same minute, or a beat that
fires twice after a clock jump, make one sync and one digest (FAULTS B5).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Role, User
from kefu.core import businesstime
from kefu.core.clock import now

from .errors import ValidationFailed
from .models import OPEN_TASK_STATUSES, DepartmentSettings, Sync, SyncItem, SyncMark, SyncSection, Task
from .services import _mail

log = logging.getLogger("kefu.collaboration")
DEFAULT_SYNC_TIMES = "10:00,16:00"
# A sync whose slot passed less than this long ago still runs (the beat was late or a node restarted).
CATCH_UP = timedelta(minutes=60)


def parse_sync_times(text: str) -> list[time]:
    found = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        seconds = businesstime.hm(part)
        if seconds >= 86400:
            raise ValidationFailed(_("Times are written as HH:MM."), field="sync_times")
        found.append(time(seconds // 3600, seconds % 3600 // 60))
    return sorted(set(found))


def sync_warnings(row: DepartmentSettings) -> list[str]:
    """Sync times outside the department's working hours: allowed, but said (nobody may be there)."""
    if not row.has_calendar:
        return [_("The department has no working hours: syncs will not run.")]
    warnings = []
    for at in parse_sync_times(row.sync_times):
        if not (row.day_start <= at < row.day_end):
            warnings.append(
                _("The sync at %(t)s is outside the department's working hours (%(a)s–%(b)s).")
                % {
                    "t": at.strftime("%H:%M"),
                    "a": row.day_start.strftime("%H:%M"),
                    "b": row.day_end.strftime("%H:%M"),
                }
            )
    return warnings


@transaction.atomic
def configure(
    department: Department,
    *,
    weekdays: str = "12345",
    day_start: time = time(9, 0),
    day_end: time = time(18, 0),
    sync_times: str = DEFAULT_SYNC_TIMES,
    lead: User | None = None,
    statutory: bool = True,
) -> tuple[DepartmentSettings, list[str]]:
    """Set a department's calendar, lead and sync times; answers the row and its warnings."""
    clean_days = "".join(sorted({d for d in weekdays if d in "1234567"}))
    if weekdays and not clean_days:
        raise ValidationFailed(_("Working weekdays are digits 1 (Monday) to 7 (Sunday)."), field="weekdays")
    if day_end <= day_start:
        raise ValidationFailed(_("The working day must end after it starts."), field="day_end")
    times = parse_sync_times(sync_times)
    row, _created = DepartmentSettings.objects.update_or_create(
        department=department,
        defaults={
            "weekdays": clean_days,
            "day_start": day_start,
            "day_end": day_end,
            "sync_times": ",".join(t.strftime("%H:%M") for t in times),
            "lead": lead,
            "statutory": statutory,
        },
    )
    return row, sync_warnings(row)


def due_slots(row: DepartmentSettings, at: datetime) -> list[datetime]:
    """The sync slots of today (the department's working days only) that are due at `at`."""
    if not row.has_calendar:
        return []
    cal = row.calendar()
    local = at.astimezone(cal.zone)
    day: date = local.date()
    if not businesstime.works_on(cal, day):
        return []
    slots = []
    for t in parse_sync_times(row.sync_times):
        slot = datetime.combine(day, t, tzinfo=cal.zone)
        if slot <= at < slot + CATCH_UP:
            slots.append(slot)
    return slots


def run_due_syncs(*, at: datetime | None = None) -> int:
    """Periodic (every minute): make every due sync that no worker made yet."""
    current = at or now()
    made = 0
    for row in DepartmentSettings.objects.select_related("department"):
        for slot in due_slots(row, current):
            if hold_sync(row.department, slot=slot, at=current) is not None:
                made += 1
    return made


@dataclass
class Digest:
    department: Department
    slot: datetime
    items: list[SyncItem]

    def section(self, name: str) -> list[SyncItem]:
        return [i for i in self.items if i.section == name]


def _section(task: Task, at: datetime, today: date, zone) -> str | None:  # noqa: ANN001
    if task.blocked:
        return SyncSection.BLOCKED
    if task.due_at < at:
        return SyncSection.OVERDUE
    if task.due_at.astimezone(zone).date() == today:
        return SyncSection.DUE_TODAY
    return None


@transaction.atomic
def hold_sync(department: Department, *, slot: datetime, at: datetime) -> Sync | None:
    """Record the sync of `slot` and send its digest; None when another worker already did."""
    try:
        with transaction.atomic():
            sync = Sync.objects.create(department=department, slot=slot, created_at=at)
    except IntegrityError:
        return None
    zone = slot.tzinfo
    today = slot.date()
    items = []
    for task in Task.objects.filter(department=department, status__in=OPEN_TASK_STATUSES).select_related(
        "ticket", "kind", "requested_by"
    ):
        section = _section(task, at, today, zone)
        if section:
            items.append(SyncItem(sync=sync, task=task, section=section))
    SyncItem.objects.bulk_create(items)
    people = list(User.objects.filter(department=department, role=Role.DEPARTMENT, is_active=True))
    people += list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    people += [i.task.requested_by for i in items]
    recipients = sorted({p.email for p in people if p.email})
    Sync.objects.filter(pk=sync.pk).update(recipients=len(recipients))
    digest = Digest(department, slot, items)
    if recipients:
        context = {
            "digest": digest,
            "due_today": digest.section(SyncSection.DUE_TODAY),
            "overdue": digest.section(SyncSection.OVERDUE),
            "blocked": digest.section(SyncSection.BLOCKED),
            "base_url": settings.BASE_URL.rstrip("/"),
            "sync": sync,
        }
        transaction.on_commit(lambda: _mail(recipients, "collaboration/mail/digest", context))
    return sync


@transaction.atomic
def mark_item(item: SyncItem, *, mark: str, by: User) -> SyncItem:
    """The department (a member) or the service side (an agent) marks an item seen or updated."""
    if mark not in (SyncMark.SEEN, SyncMark.UPDATED):
        raise ValidationFailed(_("Mark an item seen or updated."), field="mark")
    current = now()
    if by.is_department_member and by.department_id == item.sync.department_id:
        SyncItem.objects.filter(pk=item.pk).update(department_mark=mark, department_marked_at=current)
    elif by.is_agent:
        SyncItem.objects.filter(pk=item.pk).update(service_mark=mark, service_marked_at=current)
    else:
        raise ValidationFailed(_("You cannot mark this item."), field="mark")
    item.refresh_from_db()
    return item
