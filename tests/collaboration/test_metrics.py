"""The collaboration figures on hand-computed fixtures, read through the registry by key."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kefu.collaboration.models import Approval, Milestone, Task, TaskStatus
from kefu.core import metrics
from kefu.tickets.models import Ticket
from tests.clock import SHANGHAI

DAY = date(2026, 6, 10)


def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _task(ticket, kind, agent, *, due, finished, status=TaskStatus.DONE):
    return Task.objects.create(
        ticket=ticket,
        department=kind.department,
        kind=kind,
        description="x",
        requested_by=agent,
        created_at=due - timedelta(hours=9),
        due_at=due,
        status=status,
        finished_at=finished,
    )


@pytest.mark.now("2026-06-12 10:00")
def test_task_on_time_rate(ticket, inspect, agent_li, qc):
    due = _at("2026-06-10 12:00")
    _task(ticket, inspect, agent_li, due=due, finished=_at("2026-06-10 11:00"))  # on time
    _task(ticket, inspect, agent_li, due=due, finished=_at("2026-06-10 12:00"))  # on time (at the due time)
    _task(ticket, inspect, agent_li, due=due, finished=_at("2026-06-10 15:00"))  # late
    _task(ticket, inspect, agent_li, due=due, finished=_at("2026-06-10 15:00"), status=TaskStatus.REJECTED)
    _task(ticket, inspect, agent_li, due=due, finished=_at("2026-06-11 09:00"))  # another day
    dept, _member, qc_kind = qc
    _task(ticket, qc_kind, agent_li, due=due, finished=_at("2026-06-10 13:00"))  # QC, late
    assert metrics.total("collab_task_on_time_rate", start=DAY, end=DAY) == pytest.approx(200 / 4)
    only_wh = {"department": [str(inspect.department_id)]}
    assert metrics.total("collab_task_on_time_rate", start=DAY, end=DAY, filters=only_wh) == pytest.approx(
        200 / 3
    )
    series = metrics.compute("collab_task_on_time_rate", start=DAY, end=DAY, by="department")
    assert {p.group: p.value for p in series.points} == {
        str(inspect.department_id): pytest.approx(200 / 3),
        str(dept.pk): 0.0,
    }


@pytest.mark.now("2026-06-12 10:00")
def test_milestone_on_time_rate(ticket, inspect, received, inspected, agent_li):
    task = _task(
        ticket, inspect, agent_li, due=_at("2026-06-10 18:00"), finished=None, status=TaskStatus.ACCEPTED
    )
    other = _task(
        ticket, inspect, agent_li, due=_at("2026-06-10 18:00"), finished=None, status=TaskStatus.ACCEPTED
    )
    for t, kind, on_time in ((task, received, True), (task, inspected, False), (other, received, True)):
        Milestone.objects.create(
            task=t,
            kind=kind,
            happened_at=_at("2026-06-10 09:00"),
            recorded_at=_at("2026-06-10 09:20"),
            target_at=_at("2026-06-10 09:30"),
            on_time=on_time,
        )
    assert metrics.total("collab_milestone_on_time_rate", start=DAY, end=DAY) == pytest.approx(200 / 3)


@pytest.mark.now("2026-06-12 10:00")
def test_approval_time_in_hours(ticket, agent_li, lead_zhao):
    for asked, decided, status in (
        ("2026-06-10 09:00", "2026-06-10 10:00", "approved"),  # 1 h
        ("2026-06-09 16:00", "2026-06-10 07:00", "rejected"),  # 15 h, decided on the 10th
        ("2026-06-10 09:00", None, "pending"),  # not decided: not counted
    ):
        Approval.objects.create(
            ticket=ticket,
            kind="refund",
            description="x",
            approver=lead_zhao,
            requested_by=agent_li,
            created_at=_at(asked),
            decided_at=_at(decided) if decided else None,
            status=status,
        )
    assert metrics.total("collab_approval_hours", start=DAY, end=DAY) == pytest.approx(8.0)


@pytest.mark.now("2026-06-12 10:00")
def test_complex_case_resolution_in_working_days(make_ticket, customer_x, inspect, agent_li):
    """Office calendar (no sla calendars): 09:00–12:00 and 13:30–18:00, 7.5 h a working day."""
    a = make_ticket(customer_x, subject="A")  # Mon 00:00 → Wed 00:00: two whole working days
    b = make_ticket(customer_x, subject="B")  # Tue 13:30 → Wed 13:30: 4.5 h + 3 h = one working day
    plain = make_ticket(customer_x, subject="no department")
    pending = make_ticket(customer_x, subject="task still open")
    Ticket.objects.filter(pk__in=[a.pk, plain.pk, pending.pk]).update(
        created_at=_at("2026-06-08 00:00"), solved_at=_at("2026-06-10 00:00"), status="solved"
    )
    Ticket.objects.filter(pk=b.pk).update(
        created_at=_at("2026-06-09 13:30"), solved_at=_at("2026-06-10 13:30"), status="solved"
    )
    for t in (a, b):
        _task(t, inspect, agent_li, due=_at("2026-06-09 12:00"), finished=_at("2026-06-09 11:00"))
    _task(pending, inspect, agent_li, due=_at("2026-06-09 12:00"), finished=None, status=TaskStatus.ACCEPTED)
    assert metrics.total("complex_case_working_days", start=DAY, end=DAY) == pytest.approx(1.5)
