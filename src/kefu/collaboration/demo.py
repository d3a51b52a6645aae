"""Demo department work: the warehouse (仓储) and QC (质检) settings — calendars, leads, sync times,
task kinds with targets, milestones with customer replies — the delay causes and approval rules
(`load_config`), then a few tasks on shared tickets, one of them overdue and escalated, a late one
with its cause from last month, and a green-channel approval (`after_tickets`).

Idempotent: settings are created only where missing, and the tasks only when there are none."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction

from kefu.accounts.models import Department, Role, User
from kefu.core import businesstime
from kefu.core.clock import now
from kefu.tickets.models import Ticket, TicketShare
from kefu.tickets.states import OPEN_STATUSES

from . import approvals, services, syncs
from .models import (
    ApprovalRule,
    DelayCause,
    DepartmentSettings,
    MilestoneKind,
    Task,
    TaskEvent,
    TaskKind,
    TaskStatus,
)

RECEIVED_REPLY = (
    "您好，您寄回的商品（工单 {ticket}）仓库已签收，我们将在 1 个工作日内完成质检，请留意后续通知。"
)
INSPECTED_REPLY = "您好，您的退货（工单 {ticket}）已完成质检，退款/换货将尽快为您处理。"
SHIPPED_REPLY = "您好，您的补发/换货商品（工单 {ticket}）已发出，请注意查收。"
REFUNDED_REPLY = "您好，工单 {ticket} 的退款已原路退回，预计 1–3 个工作日到账。"

SETTINGS = {
    "仓储": {
        "lead": "chengang",
        "kinds": (("核对退货物流凭证", 120), ("验货", 540), ("补发配件", 2 * 540)),
        "milestones": (
            ("已收货", 30, RECEIVED_REPLY),
            ("已质检", 540, INSPECTED_REPLY),
            ("已发货", 540, SHIPPED_REPLY),
            ("已退款", 540, REFUNDED_REPLY),
        ),
    },
    "质检": {
        "lead": "zhengxue",
        "kinds": (("质量检测", 540), ("出具质检报告", 2 * 540)),
        "milestones": (("已收样", 30, ""), ("已质检", 540, INSPECTED_REPLY)),
    },
}
CAUSES = ("信息未及时录入系统", "等待配件", "客户未响应", "物流延误", "质检排队")


def load_config() -> None:
    with transaction.atomic():
        for name, spec in SETTINGS.items():
            department = Department.objects.filter(name=name).first()
            if department is None:
                continue
            if not DepartmentSettings.objects.filter(department=department).exists():
                lead = User.objects.filter(username=spec["lead"]).first()
                syncs.configure(department, weekdays="12345", day_start=time(9), day_end=time(18), lead=lead)
            for kind, minutes in spec["kinds"]:
                TaskKind.objects.get_or_create(
                    department=department, name=kind, defaults={"target_minutes": minutes}
                )
            for order, (milestone, minutes, reply) in enumerate(spec["milestones"], start=1):
                MilestoneKind.objects.get_or_create(
                    department=department,
                    name=milestone,
                    defaults={"order": order, "target_minutes": minutes, "reply_template": reply},
                )
        for order, cause in enumerate(CAUSES, start=1):
            DelayCause.objects.get_or_create(name=cause, defaults={"order": order})
        supervisor = User.objects.filter(username="zhaomin").first()
        if supervisor is not None and not ApprovalRule.objects.exists():
            for kind in ("refund", "key_customer", "green_channel"):
                ApprovalRule.objects.create(kind=kind, approver=supervisor)


def _shared_open(department: Department, count: int) -> list[Ticket]:
    shared = TicketShare.objects.filter(department=department).values("ticket_id")
    return list(
        Ticket.objects.filter(pk__in=shared, status__in=OPEN_STATUSES, merged_into__isnull=True).order_by(
            "-pk"
        )[:count]
    )


def after_tickets() -> None:
    if Task.objects.exists():
        return
    agent = User.objects.filter(username="lina").first()
    warehouse = Department.objects.filter(name="仓储").first()
    qc = Department.objects.filter(name="质检").first()
    chen = User.objects.filter(username="chengang", role=Role.DEPARTMENT).first()
    if not (agent and warehouse and qc and chen):
        return
    kinds = {k.name: k for k in TaskKind.objects.filter(department__in=[warehouse, qc])}
    tickets = _shared_open(warehouse, 4)
    if len(tickets) < 4:
        return
    current = now()
    asks = (
        (tickets[0], "验货", "客户退回的蓝牙耳机左耳无声，请收货后验货并反馈是否属于质量问题。"),
        (tickets[1], "核对退货物流凭证", "客户称已寄回，请核对物流单号 SF1234567890 是否已签收。"),
        (tickets[2], "补发配件", "请补发充电仓一个，地址以订单为准。"),
    )
    made = [
        services.request_task(t, department=warehouse, kind=kinds[k], description=text, by=agent)
        for t, k, text in asks
    ]
    # The first: accepted and received (the customer is told), inspection still to come.
    services.accept_task(made[0], by=chen)
    services.record_milestone(
        made[0], kind=MilestoneKind.objects.get(department=warehouse, name="已收货"), by=chen
    )
    # The second: asked two days ago and forgotten — overdue, escalated to the lead and the supervisor.
    Task.objects.filter(pk=made[1].pk).update(
        created_at=current - timedelta(days=2), due_at=current - timedelta(days=1)
    )
    TaskEvent.objects.filter(task=made[1]).update(at=current - timedelta(days=2))
    services.escalate_overdue(at=current)
    # The third: blocked, waiting for parts.
    services.set_blocked(made[2], blocked=True, by=chen, note="等待配件到货")
    # QC: one task for the 质检 department.
    qc_tickets = _shared_open(qc, 1) or [tickets[3]]
    services.request_task(
        qc_tickets[0],
        department=qc,
        kind=kinds["质量检测"],
        description="请检测退回样品的电池鼓包原因。",
        by=agent,
    )
    # Last month's work for the monthly review: one on time, two late with their causes.
    _past(tickets[3], warehouse, kinds["验货"], agent, chen, current)
    # The latest 10:00 or 16:00 sync of the warehouse, with its digest.
    _last_sync(warehouse, current)
    approvals.request_approval(
        tickets[0],
        kind="green_channel",
        description="客户为孕妇，商品问题影响使用，申请绿色通道先行换货。",
        by=agent,
    )


def _last_sync(department: Department, current) -> None:  # noqa: ANN001
    """The department's latest sync before now, so the sync page has a digest on first start."""
    row = DepartmentSettings.objects.get(department=department)
    cal = row.calendar()
    day = current.astimezone(cal.zone).date()
    for _ in range(15):
        if businesstime.works_on(cal, day):
            slots = [
                datetime.combine(day, t, tzinfo=cal.zone) for t in syncs.parse_sync_times(row.sync_times)
            ]
            past = [s for s in slots if s <= current]
            if past:
                syncs.hold_sync(department, slot=past[-1], at=current)
                return
        day -= timedelta(days=1)


def _past(ticket: Ticket, department: Department, kind: TaskKind, agent: User, member: User, current) -> None:  # noqa: ANN001
    causes = {c.name: c for c in DelayCause.objects.all()}
    first = (current.replace(day=1) - timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)
    for offset, late_by, cause in ((0, None, None), (3, 20, "信息未及时录入系统"), (6, 30, "等待配件")):
        asked = first + timedelta(days=offset)
        due = asked + timedelta(hours=24)
        finished = due + timedelta(hours=late_by) if late_by else due - timedelta(hours=3)
        task = Task.objects.create(
            ticket=ticket,
            department=department,
            kind=kind,
            description="上月退货验货",
            requested_by=agent,
            created_at=asked,
            due_at=due,
            accepted_at=asked + timedelta(hours=2),
            status=TaskStatus.DONE,
            finished_at=finished,
            finished_by=member,
            delay_cause=causes.get(cause) if cause else None,
        )
        TaskEvent.objects.bulk_create(
            [
                TaskEvent(task=task, kind="requested", actor=agent, at=asked),
                TaskEvent(task=task, kind="accepted", actor=member, at=asked + timedelta(hours=2)),
                TaskEvent(task=task, kind="done", actor=member, detail=cause or "", at=finished),
            ]
        )
