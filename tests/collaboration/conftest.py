from __future__ import annotations

from datetime import time

import pytest

from kefu.accounts.models import Role
from kefu.collaboration import syncs
from kefu.collaboration.models import DelayCause, MilestoneKind, TaskKind
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"


@pytest.fixture
def wh_lead(warehouse):
    user = UserFactory(username="wh_lead", display_name="仓储主管", role=Role.DEPARTMENT)
    user.department = warehouse
    user.save()
    return user


@pytest.fixture
def wh(warehouse, dept_chen, wh_lead):
    """The warehouse, open 09:00–18:00 Monday to Friday (Chinese holidays), with its targets."""
    syncs.configure(warehouse, weekdays="12345", day_start=time(9), day_end=time(18), lead=wh_lead)
    return warehouse


@pytest.fixture
def inspect(wh):
    return TaskKind.objects.create(department=wh, name="验货", target_minutes=540)  # one working day


@pytest.fixture
def received(wh):
    return MilestoneKind.objects.create(
        department=wh,
        name="已收货",
        order=1,
        target_minutes=30,
        reply_template="您好，您的退货（工单 {ticket}）仓库已收到，我们会尽快质检。",
    )


@pytest.fixture
def inspected(wh):
    return MilestoneKind.objects.create(department=wh, name="已质检", order=2, target_minutes=540)


@pytest.fixture
def waiting_parts(db):
    return DelayCause.objects.create(name="等待配件", order=2)


@pytest.fixture
def qc(db):
    """Another department (质检) with its own member and calendar."""
    dept = DepartmentFactory(name="质检")
    member = UserFactory(username="qc_zheng", display_name="郑雪", role=Role.DEPARTMENT)
    member.department = dept
    member.save()
    syncs.configure(dept, weekdays="12345", day_start=time(9), day_end=time(18))
    kind = TaskKind.objects.create(department=dept, name="质检报告", target_minutes=540)
    return dept, member, kind


@pytest.fixture
def ticket(make_ticket, customer_x, team_aftersales):
    return make_ticket(customer_x, subject="退货：订单号 YS20260601000123 商品破损", team=team_aftersales)
