"""Department tasks through the services: due times on the department's calendar, the ticket on
hold while tasks are open, late tasks need a cause, milestones with their targets and replies,
overdue tasks escalate once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail

from kefu.collaboration import services, syncs
from kefu.collaboration.errors import AlreadyDone, DepartmentNotReady, ValidationFailed
from kefu.collaboration.models import Milestone, Task, TaskEvent, TaskKind, TaskStatus
from kefu.tickets.models import Message, MessageKind, TicketShare
from kefu.tickets.states import Status
from tests.clock import SHANGHAI
from tests.factories import DepartmentFactory


def _ask(ticket, kind, by, text="请核对退货物流凭证并验货"):
    return services.request_task(ticket, department=kind.department, kind=kind, description=text, by=by)


def test_asking_puts_the_ticket_on_hold_with_a_due_time_from_the_department_calendar(
    ticket, inspect, agent_li
):
    task = _ask(ticket, inspect, agent_li)
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    assert TicketShare.objects.filter(ticket=ticket, department=inspect.department).exists()
    assert task.status == TaskStatus.REQUESTED
    # one working day of 09:00–18:00 after the request, on the warehouse's own calendar
    expected = services.businesstime.add_business_time(
        services.department_calendar(inspect.department), task.created_at, timedelta(minutes=540)
    )
    assert task.due_at == expected
    assert task.due_at - task.created_at >= timedelta(hours=9)
    note = Message.objects.filter(ticket=ticket, kind=MessageKind.INTERNAL).last()
    assert "验货" in note.body_text and "仓储" in note.body_text


@pytest.mark.now("2026-06-10 10:00")
def test_due_time_skips_the_weekend_and_dragon_boat_festival(ticket, wh, agent_li):
    kind = TaskKind.objects.create(department=wh, name="发货", target_minutes=3 * 540)
    task = _ask(ticket, kind, agent_li)
    # Wed 10:00 + 3 working days: Thu, Fri, then Mon 2026-06-15 10:00 (端午 is 06-19 in 2026)
    due = task.due_at.astimezone(SHANGHAI)
    assert abs(due - datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)) < timedelta(minutes=1)


def test_the_ticket_reopens_when_its_last_task_closes(ticket, inspect, agent_li, dept_chen):
    first = _ask(ticket, inspect, agent_li)
    second = _ask(ticket, inspect, agent_li, text="补发配件")
    services.accept_task(first, by=dept_chen)
    services.complete_task(first, by=dept_chen)
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD  # one task still open
    services.reject_task(second, by=dept_chen, reason="配件已停产")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert [e.kind for e in TaskEvent.objects.filter(task=first)] == ["requested", "accepted", "done"]
    assert Message.objects.filter(ticket=ticket, body_text__contains="配件已停产").exists()


def test_a_task_is_accepted_once(ticket, inspect, agent_li, dept_chen, wh_lead):
    task = _ask(ticket, inspect, agent_li)
    stale = Task.objects.get(pk=task.pk)
    services.accept_task(task, by=dept_chen)
    with pytest.raises(AlreadyDone):
        services.accept_task(stale, by=wh_lead)


def test_a_late_task_needs_a_delay_cause(ticket, inspect, agent_li, dept_chen, waiting_parts):
    task = _ask(ticket, inspect, agent_li)
    Task.objects.filter(pk=task.pk).update(due_at=task.created_at - timedelta(minutes=1))
    task.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        services.complete_task(task, by=dept_chen)
    assert refused.value.field == "delay_cause"
    done = services.complete_task(task, by=dept_chen, cause=waiting_parts)
    assert done.status == TaskStatus.DONE and done.delay_cause == waiting_parts


def test_refused_for_a_department_without_calendar_or_members(ticket, agent_li, wh, inspect):
    bare = DepartmentFactory(name="技术部")
    kind = TaskKind.objects.create(department=bare, name="远程诊断", target_minutes=60)
    with pytest.raises(DepartmentNotReady) as no_calendar:
        _ask(ticket, kind, agent_li)
    assert "calendar" in no_calendar.value.message or "日历" in no_calendar.value.message
    syncs.configure(bare)
    with pytest.raises(DepartmentNotReady) as no_members:
        _ask(ticket, kind, agent_li)
    assert "members" in no_members.value.message or "成员" in no_members.value.message
    assert not Task.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status != Status.ON_HOLD


def test_reject_needs_a_reason(ticket, inspect, agent_li, dept_chen):
    task = _ask(ticket, inspect, agent_li)
    with pytest.raises(ValidationFailed) as refused:
        services.reject_task(task, by=dept_chen, reason="  ")
    assert refused.value.field == "reason"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.REQUESTED


@pytest.mark.now("2026-06-10 10:00")  # a working Wednesday: "within 30 minutes" is working time
def test_milestones_carry_their_target_and_reply_to_the_customer(
    ticket, inspect, received, inspected, agent_li, dept_chen
):
    task = _ask(ticket, inspect, agent_li)
    services.accept_task(task, by=dept_chen)
    arrived = task.created_at - timedelta(minutes=20)
    on_time = services.record_milestone(task, kind=received, by=dept_chen, happened_at=arrived)
    assert on_time.on_time and on_time.target_at == arrived + timedelta(minutes=30)
    reply = Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).last()
    assert ticket.number in reply.body_text and "仓库已收到" in reply.body_text
    with pytest.raises(AlreadyDone):
        services.record_milestone(task, kind=received, by=dept_chen)
    # 已质检 recorded two working days after it happened: late, and no template so no reply
    late = services.record_milestone(
        task, kind=inspected, by=dept_chen, happened_at=task.created_at - timedelta(days=2)
    )
    assert not late.on_time and not late.replied
    assert Milestone.objects.filter(task=task).count() == 2


def test_overdue_tasks_escalate_once_to_the_lead_and_the_supervisor(
    ticket, inspect, agent_li, dept_chen, wh_lead, lead_zhao, django_capture_on_commit_callbacks
):
    task = _ask(ticket, inspect, agent_li)
    later = task.due_at + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_overdue(at=later) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_overdue(at=later + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([wh_lead.email, lead_zhao.email])
    assert f"/agent/collab/tasks/{task.pk}/" in mail.outbox[0].body
    assert Task.objects.get(pk=task.pk).escalated_at == later
    assert TaskEvent.objects.filter(task=task, kind="escalated").count() == 1
