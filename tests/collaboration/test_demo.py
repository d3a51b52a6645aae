"""The demo step: warehouse and QC settings, tasks with one overdue and escalated; running it twice
changes nothing."""

from __future__ import annotations

from kefu.accounts.models import Role
from kefu.collaboration import demo
from kefu.collaboration.models import (
    Approval,
    DelayCause,
    DepartmentSettings,
    Milestone,
    Sync,
    SyncItem,
    Task,
    TaskKind,
)
from kefu.tickets import services as tickets
from tests.factories import DepartmentFactory, UserFactory


def _people():
    wh, qc = DepartmentFactory(name="仓储"), DepartmentFactory(name="质检")
    for username, dept in (("chengang", wh), ("zhengxue", qc)):
        user = UserFactory(username=username, role=Role.DEPARTMENT)
        user.department = dept
        user.save()
    UserFactory(username="zhaomin", role=Role.SUPERVISOR)
    return wh, UserFactory(username="lina", role=Role.SENIOR_AGENT)


def test_demo_loads_settings_and_tasks_once(make_ticket, customer_x):
    wh, lina = _people()
    for i in range(4):
        ticket = make_ticket(customer_x, subject=f"退货 {i}")
        tickets.share_with_department(ticket, department=wh, by=lina)
    for _ in range(2):
        demo.load_config()
        demo.after_tickets()
    assert DepartmentSettings.objects.count() == 2
    assert TaskKind.objects.filter(department=wh).count() == 3
    assert DelayCause.objects.count() == len(demo.CAUSES)
    open_tasks = Task.objects.filter(status__in=("requested", "accepted"))
    assert open_tasks.count() == 4
    assert open_tasks.filter(escalated_at__isnull=False).count() == 1
    assert Milestone.objects.filter(kind__name="已收货").count() == 1
    assert Task.objects.filter(status="done", delay_cause__isnull=False).count() == 2
    assert Approval.objects.count() == 1
    assert Sync.objects.count() == 1 and SyncItem.objects.exists()
