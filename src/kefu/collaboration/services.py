"""Use cases of department tasks: ask, accept, finish or reject, milestones, delay causes, escalation.

A task puts its ticket on hold (tickets' own "waiting on a department" status, which pauses the SLA
timers through the sla app's event handler) and shares the ticket with the department; when the
ticket's last open task closes, the ticket goes back to open. Syncs and digests are in `syncs.py`,
approvals in `approvals.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Role, User
from kefu.accounts.services import system_user
from kefu.core import automail, businesstime
from kefu.core.clock import now
from kefu.tickets import services as tickets
from kefu.tickets.models import Ticket
from kefu.tickets.states import DONE_STATUSES, Status, can_transition

from .errors import AlreadyDone, DepartmentNotReady, NotFound, PermissionDenied, ValidationFailed
from .models import (
    OPEN_TASK_STATUSES,
    DelayCause,
    DepartmentSettings,
    Milestone,
    MilestoneKind,
    Task,
    TaskEvent,
    TaskKind,
    TaskStatus,
)

log = logging.getLogger("kefu.collaboration")
DESCRIPTION_MAX = 4000


# --------------------------------------------------------------------------- helpers


def department_calendar(department: Department) -> businesstime.Calendar:
    """The department's own calendar; refused with the reason when it has none."""
    found = DepartmentSettings.objects.filter(department=department).first()
    if found is None or not found.has_calendar:
        raise DepartmentNotReady(
            _("%(department)s has no business calendar yet: set its working days and hours first.")
            % {"department": department.name},
            field="department",
        )
    return found.calendar()


def _members(department: Department) -> list[User]:
    return list(User.objects.filter(department=department, role=Role.DEPARTMENT, is_active=True))


def _log(task: Task, kind: str, *, by: User | None, detail: str = "", at: datetime | None = None) -> None:
    TaskEvent.objects.create(task=task, kind=kind, actor=by, detail=detail[:300], at=at or now())


def _member_of(task: Task, user: User) -> None:
    if not (user.is_department_member and user.department_id == task.department_id):
        raise PermissionDenied(_("Only members of %(d)s can do this.") % {"d": task.department.name})


def _move(task: Task, *, to: str, allowed: tuple[str, ...], **fields: Any) -> Task:
    """Compare-and-set on the task's version: a second click or a second person loses with 409."""
    if task.status not in allowed:
        raise AlreadyDone(_("This task is already %(s)s.") % {"s": TaskStatus(task.status).label})
    won = Task.objects.filter(pk=task.pk, version=task.version, status__in=allowed).update(
        status=to, version=F("version") + 1, **fields
    )
    if not won:
        raise AlreadyDone(_("Someone changed this task first; reload the page."))
    task.refresh_from_db()
    return task


def _hold(ticket: Ticket, *, by: User) -> None:
    ticket.refresh_from_db()
    if ticket.status != Status.ON_HOLD and can_transition(ticket.status, Status.ON_HOLD):
        tickets.change_status(ticket, to=Status.ON_HOLD, by=by)


def _release(ticket: Ticket) -> None:
    """The ticket's last open task closed: back to the agent (open), and its SLA runs again."""
    if Task.objects.filter(ticket=ticket, status__in=OPEN_TASK_STATUSES).exists():
        return
    ticket.refresh_from_db()
    if ticket.status == Status.ON_HOLD:
        tickets.change_status(ticket, to=Status.OPEN, by=system_user())


def _text(value: str, *, field: str, message: str) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        raise ValidationFailed(message, field=field)
    if len(value) > DESCRIPTION_MAX:
        raise ValidationFailed(_("The text is too long."), field=field)
    return value


# --------------------------------------------------------------------------- tasks


@transaction.atomic
def request_task(
    ticket: Ticket, *, department: Department, kind: TaskKind, description: str, by: User
) -> Task:
    """An agent asks a department for something specific; due from the department's calendar."""
    if not by.is_agent:
        raise PermissionDenied(_("Only agents can ask a department."))
    if ticket.status in DONE_STATUSES or ticket.merged_into_id:
        raise ValidationFailed(_("The ticket is closed: reopen it first."), field="ticket")
    if kind.department_id != department.pk:
        raise ValidationFailed(
            _("%(d)s does not take this kind of task.") % {"d": department.name}, field="kind"
        )
    description = _text(description, field="description", message=_("Say what the department should do."))
    cal = department_calendar(department)
    if not _members(department):
        raise DepartmentNotReady(
            _("%(department)s has no members: nobody could work the task.") % {"department": department.name},
            field="department",
        )
    current = now()
    task = Task.objects.create(
        ticket=ticket,
        department=department,
        kind=kind,
        description=description,
        requested_by=by,
        created_at=current,
        due_at=businesstime.add_business_time(cal, current, timedelta(minutes=kind.target_minutes)),
    )
    _log(task, "requested", by=by, detail=kind.name)
    tickets.share_with_department(ticket, department=department, by=by)
    tickets.add_note(
        ticket,
        body=_("Task for %(d)s: %(kind)s — %(text)s (due %(due)s)")
        % {
            "d": department.name,
            "kind": kind.name,
            "text": description,
            "due": task.due_at.astimezone(cal.zone).strftime("%Y-%m-%d %H:%M"),
        },
        by=by,
    )
    _hold(ticket, by=by)
    return task


@transaction.atomic
def accept_task(task: Task, *, by: User) -> Task:
    _member_of(task, by)
    task = _move(task, to=TaskStatus.ACCEPTED, allowed=(TaskStatus.REQUESTED,), accepted_at=now())
    _log(task, "accepted", by=by)
    return task


def _check_cause(task: Task, cause: DelayCause | None, at: datetime) -> DelayCause | None:
    late = at > task.due_at
    cause = cause or task.delay_cause
    if late and cause is None:
        raise ValidationFailed(_("The task is late: choose the cause of the delay."), field="delay_cause")
    return cause


@transaction.atomic
def complete_task(task: Task, *, by: User, cause: DelayCause | None = None) -> Task:
    """Done. A task finished after its due time must name a delay cause."""
    _member_of(task, by)
    current = now()
    cause = _check_cause(task, cause, current)
    task = _move(
        task,
        to=TaskStatus.DONE,
        allowed=OPEN_TASK_STATUSES,
        finished_at=current,
        finished_by=by,
        delay_cause=cause,
        blocked=False,
    )
    _log(task, "done", by=by, detail=cause.name if cause else "")
    _release(task.ticket)
    return task


@transaction.atomic
def reject_task(task: Task, *, by: User, reason: str) -> Task:
    _member_of(task, by)
    reason = _text(reason, field="reason", message=_("Say why the task is rejected."))
    task = _move(
        task,
        to=TaskStatus.REJECTED,
        allowed=OPEN_TASK_STATUSES,
        finished_at=now(),
        finished_by=by,
        reason=reason,
    )
    _log(task, "rejected", by=by, detail=reason)
    tickets.add_note(
        task.ticket,
        body=_("%(d)s rejected the task %(kind)s: %(reason)s")
        % {"d": task.department.name, "kind": task.kind.name, "reason": reason},
        by=by,
    )
    _release(task.ticket)
    return task


@transaction.atomic
def set_delay_cause(task: Task, *, cause: DelayCause, by: User) -> Task:
    """The cause of a late task (the department or the service side may name it)."""
    if not (by.is_agent or (by.is_department_member and by.department_id == task.department_id)):
        raise PermissionDenied(_("You cannot change this task."))
    if not cause.active:
        raise ValidationFailed(_("This delay cause is no longer in use."), field="delay_cause")
    if not task.is_late():
        raise ValidationFailed(_("The task is not late."), field="delay_cause")
    Task.objects.filter(pk=task.pk).update(delay_cause=cause, version=F("version") + 1)
    _log(task, "cause", by=by, detail=cause.name)
    task.refresh_from_db()
    return task


@transaction.atomic
def set_blocked(task: Task, *, blocked: bool, by: User, note: str = "") -> Task:
    """The department says it cannot go on (waiting for parts, for the customer…): shown in digests."""
    _member_of(task, by)
    if not task.is_open:
        raise AlreadyDone(_("This task is already %(s)s.") % {"s": TaskStatus(task.status).label})
    Task.objects.filter(pk=task.pk).update(blocked=blocked, version=F("version") + 1)
    _log(task, "blocked" if blocked else "unblocked", by=by, detail=note)
    task.refresh_from_db()
    return task


# --------------------------------------------------------------------------- milestones


def render_template(template: str, task: Task, milestone: MilestoneKind) -> str:
    values = {
        "ticket": task.ticket.number,
        "subject": task.ticket.subject,
        "customer": task.ticket.customer.name if task.ticket.customer_id else "",
        "milestone": milestone.name,
        "order": task.ticket.order_ref,
    }
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


@transaction.atomic
def record_milestone(
    task: Task,
    *,
    kind: MilestoneKind,
    by: User,
    happened_at: datetime | None = None,
    reply: bool = True,
) -> Milestone:
    """A step the department reached (已收货, 已质检…), on time if recorded within its target of
    working time after it happened; optionally tells the customer with the milestone's template."""
    _member_of(task, by)
    if kind.department_id != task.department_id:
        raise NotFound(_("Unknown milestone."), field="kind")
    if task.status == TaskStatus.REJECTED:
        raise AlreadyDone(_("This task is already %(s)s.") % {"s": TaskStatus(task.status).label})
    current = now()
    happened = happened_at or current
    if happened > current + timedelta(minutes=1):
        raise ValidationFailed(_("A milestone cannot happen in the future."), field="happened_at")
    if happened < task.created_at - timedelta(days=60):
        raise ValidationFailed(_("That is long before the task was asked for."), field="happened_at")
    cal = department_calendar(task.department)
    target = businesstime.add_business_time(cal, happened, timedelta(minutes=kind.target_minutes))
    try:
        with transaction.atomic():
            milestone = Milestone.objects.create(
                task=task,
                kind=kind,
                happened_at=happened,
                recorded_at=current,
                recorded_by=by,
                target_at=target,
                on_time=current <= target,
            )
    except IntegrityError:
        raise AlreadyDone(_("%(m)s is already recorded.") % {"m": kind.name}, field="kind") from None
    _log(task, "milestone", by=by, detail=kind.name, at=current)
    if reply and kind.reply_template.strip():
        tickets.reply(
            task.ticket,
            body=render_template(kind.reply_template, task, kind),
            by=system_user(),
            automated=True,
        )
        Milestone.objects.filter(pk=milestone.pk).update(replied=True)
        milestone.replied = True
    return milestone


# --------------------------------------------------------------------------- escalation


def _escalation_recipients(task: Task) -> list[str]:
    found = DepartmentSettings.objects.select_related("lead").filter(department_id=task.department_id).first()
    people = [found.lead] if found and found.lead else []
    people += list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    return sorted({p.email for p in people if p.email})


def escalate_overdue(*, at: datetime | None = None) -> int:
    """Periodic: every open task past its due time escalates once (B5: the compare-and-set on
    `escalated_at` lets one worker win; the others change nothing and send nothing)."""
    current = at or now()
    done = 0
    for task_id in Task.objects.filter(
        status__in=OPEN_TASK_STATUSES, due_at__lt=current, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        if escalate(task_id, at=current):
            done += 1
    return done


@transaction.atomic
def escalate(task_id: int, *, at: datetime) -> bool:
    won = Task.objects.filter(
        pk=task_id, status__in=OPEN_TASK_STATUSES, due_at__lt=at, escalated_at__isnull=True
    ).update(escalated_at=at)
    if not won:
        return False
    task = Task.objects.select_related("ticket", "department", "kind").get(pk=task_id)
    _log(task, "escalated", by=None, detail=", ".join(_escalation_recipients(task)), at=at)
    tickets.add_note(
        task.ticket,
        body=_(
            "Task %(kind)s for %(d)s is overdue (due %(due)s): escalated to the department lead and the supervisors."
        )
        % {"kind": task.kind.name, "d": task.department.name, "due": task.due_at.strftime("%Y-%m-%d %H:%M")},
        by=system_user(),
    )
    recipients = _escalation_recipients(task)
    if recipients:
        transaction.on_commit(
            lambda: _mail(
                recipients, "collaboration/mail/escalation", {"task": task, "base_url": _base_url()}
            )
        )
    return True


def _base_url() -> str:
    return str(settings.BASE_URL).rstrip("/")


def _mail(to: list[str], template: str, context: dict[str, Any]) -> None:
    try:
        automail.send_templated(to=to, language="zh-hans", template=template, context=context)
    except Exception:  # a mail server outage must not undo the escalation; it is logged
        log.exception("collaboration mail %s to %s failed", template, to)
