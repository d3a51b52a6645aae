"""The collaboration figures in the metric registry (core.metrics).

- collab_task_on_time_rate: tasks done by their due time ÷ tasks done, on the day each was done.
- collab_milestone_on_time_rate: milestones recorded within their target ÷ milestones recorded.
- collab_approval_hours: mean hours from asking to deciding, on the day of the decision.
- complex_case_working_days: for tickets that needed a department (≥ 1 task done or rejected),
  the mean working days from creation to solved on the ticket's team calendar, on the solve day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kefu.core import businesstime, metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import SecondsBetween, apply_filters, daily, during, narrowed
from kefu.tickets.models import Ticket

from .models import Approval, ApprovalStatus, Milestone, Task, TaskStatus

DEPT = {"department": "department_id"}


def _done_tasks(win: Window) -> QuerySet[Task]:
    qs = during(Task.objects.filter(status=TaskStatus.DONE), "finished_at", win)
    return apply_filters(qs, win.filters, DEPT)


def task_rows(win: Window, by: str | None) -> list[Row]:
    on_time = Q(finished_at__lte=F("due_at"))
    return daily(_done_tasks(win), "finished_at", by, DEPT, num=Count("pk", filter=on_time), den=Count("pk"))


def task_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs = _done_tasks(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def milestone_rows(win: Window, by: str | None) -> list[Row]:
    paths = {"department": "task__department_id"}
    qs = apply_filters(during(Milestone.objects.all(), "recorded_at", win), win.filters, paths)
    return daily(qs, "recorded_at", by, paths, num=Count("pk", filter=Q(on_time=True)), den=Count("pk"))


def approval_rows(win: Window, by: str | None) -> list[Row]:
    qs = during(Approval.objects.exclude(status=ApprovalStatus.PENDING), "decided_at", win)
    return daily(
        qs,
        "decided_at",
        None,
        {},
        num_as=lambda v: float(v or 0) / 3600.0,
        num=Sum(SecondsBetween("decided_at", "created_at")),
        den=Count("pk"),
    )


def day_length(cal: businesstime.Calendar) -> timedelta:
    """The working time of the calendar's ordinary working day (the weekday make-up days copy)."""
    periods = cal.weekly[cal.makeup_weekday or 0]
    return timedelta(seconds=sum(b - a for a, b in periods))


def complex_rows(win: Window, by: str | None) -> list[Row]:
    """Read in Python: working time needs the calendar walk, a handful of steps per ticket."""
    needed = Task.objects.filter(status__in=(TaskStatus.DONE, TaskStatus.REJECTED)).values("ticket_id")
    qs = during(Ticket.objects.filter(merged_into__isnull=True, pk__in=needed), "solved_at", win)
    qs = apply_filters(qs, win.filters, DEPT | {"team": "team_id"})
    calendars = businesstime.team_calendars()
    zone = metrics.local_zone()
    sums: dict[tuple[Any, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for created, solved, team_id in qs.values_list("created_at", "solved_at", "team_id"):
        cal = calendars([team_id] if team_id else [])
        length = day_length(cal)
        if not length:
            continue
        days = businesstime.business_time_between(cal, created, solved) / length
        group = (str(team_id) if team_id else "none") if by == "team" else ""
        acc = sums[(solved.astimezone(zone).date(), group)]
        acc[0] += days
        acc[1] += 1
    return [Row(day, group, num, den) for (day, group), (num, den) in sums.items()]


def register_all() -> None:
    metrics.register(
        Metric(
            key="collab_task_on_time_rate",
            name=_("Department task on-time rate"),
            description=_("Share of department tasks done by their due time."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Tasks done at or before their due time (the department's calendar and target) ÷ "
                "tasks done, on the day each was done. Rejected tasks are not counted."
            ),
            rows=task_rows,
            drill=task_drill,
            dimensions=("department",),
            app="collaboration",
        )
    )
    metrics.register(
        Metric(
            key="collab_milestone_on_time_rate",
            name=_("Milestone on-time rate"),
            description=_("Share of milestones (received, inspected…) recorded within their target."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Milestones recorded within their target of working time after they happened ÷ "
                "milestones recorded, on the day each was recorded."
            ),
            rows=milestone_rows,
            dimensions=("department",),
            app="collaboration",
        )
    )
    metrics.register(
        Metric(
            key="collab_approval_hours",
            name=_("Approval time"),
            description=_("Mean time from asking for an approval to its decision."),
            unit="hours",
            direction="lower",
            aggregate="mean",
            formula=_("Σ (decided − asked) in hours ÷ decisions, on the day of the decision."),
            rows=approval_rows,
            app="collaboration",
        )
    )
    metrics.register(
        Metric(
            key="complex_case_working_days",
            name=_("Complex-case resolution (working days)"),
            description=_("Mean working days to solve tickets that needed another department."),
            unit="ratio",
            direction="lower",
            aggregate="mean",
            formula=_(
                "For tickets solved on the day that had at least one department task done or "
                "rejected: working time from creation to solved on the ticket team's business "
                "calendar ÷ the length of that calendar's working day; the mean over those tickets."
            ),
            rows=complex_rows,
            dimensions=("team",),
            app="collaboration",
            target=3.0,
        )
    )
