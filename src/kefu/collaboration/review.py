"""The monthly delay-cause review of a department (the plan's 复盘会): time per step from the
task event log, the causes of late tasks with their shares and examples, and the trend against the
month before. Read-only; one query per table, whatever the number of tasks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from kefu.accounts.models import Department
from kefu.core import businesstime
from kefu.core.clock import now
from kefu.core.metrics import local_zone

from .errors import ValidationFailed
from .models import DepartmentSettings, Task, TaskEvent, TaskStatus


def parse_month(text: str) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationFailed(_("A month is written YYYY-MM."), field="month") from None


def month_name(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _bounds(month: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    following = (month + timedelta(days=32)).replace(day=1)
    return datetime.combine(month, datetime.min.time(), zone), datetime.combine(
        following, datetime.min.time(), zone
    )


@dataclass
class Step:
    name: str
    count: int = 0
    working_hours: float = 0.0  # mean, on the department's calendar

    def add(self, hours: float) -> None:
        self.working_hours = (self.working_hours * self.count + hours) / (self.count + 1)
        self.count += 1


@dataclass
class Cause:
    name: str
    count: int
    share: float
    last_month: int
    examples: list[Task]


@dataclass
class MonthFigures:
    due: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return round(100.0 * self.on_time / self.due, 1) if self.due else None


@dataclass
class Review:
    department: Department
    month: str
    last_month: str
    figures: MonthFigures
    before: MonthFigures
    steps: list[Step] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)


def _late_tasks(department: Department, month: date, at: datetime) -> tuple[MonthFigures, list[Task]]:
    start, end = _bounds(month)
    tasks = list(
        Task.objects.filter(department=department, due_at__gte=start, due_at__lt=end)
        .exclude(status=TaskStatus.REJECTED)
        .select_related("ticket", "delay_cause", "kind")
        .order_by("due_at", "pk")
    )
    figures = MonthFigures()
    late = []
    for task in tasks:
        if task.finished_at is None and task.due_at > at:
            continue  # not due yet: neither on time nor late
        figures.due += 1
        if task.is_late(at):
            figures.late += 1
            late.append(task)
        else:
            figures.on_time += 1
    return figures, late


def _steps(department: Department, month: date, cal: businesstime.Calendar | None) -> list[Step]:
    start, end = _bounds(month)
    events = TaskEvent.objects.filter(
        task__department=department, task__created_at__gte=start, task__created_at__lt=end
    ).values_list("task_id", "kind", "detail", "at")
    by_task: dict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    for task_id, kind, detail, at in events.order_by("at", "pk"):
        by_task[task_id].append((kind, detail, at))
    steps: dict[str, Step] = {}

    def hours(a: datetime, b: datetime) -> float:
        span = businesstime.business_time_between(cal, a, b) if cal else b - a
        return span.total_seconds() / 3600.0

    for log in by_task.values():
        asked = next((at for kind, _d, at in log if kind == "requested"), None)
        accepted = next((at for kind, _d, at in log if kind == "accepted"), None)
        finished = next((at for kind, _d, at in log if kind in ("done", "rejected")), None)
        if asked is None:
            continue
        if accepted:
            steps.setdefault("accept", Step(_("Asked → accepted"))).add(hours(asked, accepted))
        if finished:
            steps.setdefault("finish", Step(_("Accepted → finished"))).add(hours(accepted or asked, finished))
            steps.setdefault("total", Step(_("Asked → finished"))).add(hours(asked, finished))
        for kind, detail, at in log:
            if kind == "milestone":
                steps.setdefault("m:" + detail, Step(_("Asked → %(m)s") % {"m": detail})).add(
                    hours(asked, at)
                )
    order = ["accept", "finish", "total"]
    return [steps[k] for k in order if k in steps] + [v for k, v in sorted(steps.items()) if k not in order]


def monthly_review(department: Department, *, month: str) -> Review:
    first = parse_month(month)
    before = previous(first)
    at = now()
    row = DepartmentSettings.objects.filter(department=department).first()
    cal = row.calendar() if row and row.has_calendar else None
    figures, late = _late_tasks(department, first, at)
    before_figures, before_late = _late_tasks(department, before, at)
    none = _("(no cause given)")
    counts: dict[str, list[Task]] = defaultdict(list)
    for task in late:
        counts[task.delay_cause.name if task.delay_cause else none].append(task)
    previous_counts: dict[str, int] = defaultdict(int)
    for task in before_late:
        previous_counts[task.delay_cause.name if task.delay_cause else none] += 1
    causes = [
        Cause(
            name=name,
            count=len(tasks),
            share=round(100.0 * len(tasks) / len(late), 1),
            last_month=previous_counts.get(name, 0),
            examples=tasks[:3],
        )
        for name, tasks in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    for name, n in sorted(previous_counts.items()):
        if name not in counts:
            causes.append(Cause(name=name, count=0, share=0.0, last_month=n, examples=[]))
    return Review(
        department=department,
        month=month_name(first),
        last_month=month_name(before),
        figures=figures,
        before=before_figures,
        steps=_steps(department, first, cal),
        causes=causes,
    )
