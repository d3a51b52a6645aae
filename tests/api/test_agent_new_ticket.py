"""POST /api/tickets by an agent on behalf of a customer (issue 14 item 2): through intake like
any inbound, triaged, routed and timed; field errors as 422 {code, message, field}."""

from __future__ import annotations

import pytest
from django.core import mail

from kefu.customers.models import Customer
from kefu.intake.models import RawInbound
from kefu.routing.models import AssignmentRule
from kefu.sla.models import Metric, SlaTimer
from kefu.sla.services import ALWAYS_WEEKLY, TargetSpec, save_calendar, save_policy
from kefu.tickets.models import MessageKind, Ticket
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _world(db, team_aftersales):
    save_calendar(by=None, name="全天候", weekly=ALWAYS_WEEKLY, statutory=False, is_default=True)
    AssignmentRule.objects.create(name="微信", position=1, channel="wechat", team=team_aftersales)
    save_policy(
        by=None,
        name="测试",
        position=50,
        warn_percent=80,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, 3600, business_time=False),
            TargetSpec(Metric.RESOLUTION, 10 * 3600, business_time=False),
        ],
    )


def _create(api, user, capture, headers=None, **fields):
    body = {"subject": "微信咨询：发票", "body": "我要开发票", "channel": "wechat", **fields}
    with capture(execute=True):
        return api.post(user, "/tickets", body, headers=headers)


def test_agent_opens_for_a_customer_found_by_phone(
    api, agent_li, agent_wang, team_aftersales, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(name="王大伟", phone="13800138000", email="dawei@example.cn")
    found = api.get(agent_li, "/customers?q=13800138000").json()
    assert [c["id"] for c in found["items"]] == [customer.pk]
    response = _create(api, agent_li, django_capture_on_commit_callbacks, customer=customer.pk)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["customer"]["id"] == customer.pk and data["channel"] == "wechat"
    ticket = Ticket.objects.get(pk=data["id"])
    assert RawInbound.objects.filter(ticket_id=ticket.pk, channel="wechat").exists()
    assert ticket.team == team_aftersales and ticket.assignee is not None
    assert {Metric.FIRST_RESPONSE, Metric.RESOLUTION} <= set(
        SlaTimer.objects.filter(ticket=ticket).values_list("metric", flat=True)
    )
    first = data["messages"][0]
    assert first["from_customer"] and first["kind"] == "public" and first["body_text"] == "我要开发票"


def test_agent_opens_for_a_new_customer_with_a_call_summary_and_a_receipt(
    api, agent_li, django_capture_on_commit_callbacks
):
    response = _create(
        api,
        agent_li,
        django_capture_on_commit_callbacks,
        channel="phone",
        customer_name="赵敏",
        customer_phone="139-1234-5678",
        customer_email="zhaomin@example.cn",
        first_message="summary",
        body="客户来电要发票，已核实订单。",
        mail_customer=True,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    customer = Customer.objects.get(pk=data["customer"]["id"])
    assert customer.phone == "13912345678" and customer.email == "zhaomin@example.cn"
    kinds = [(m["kind"], m["body_text"]) for m in data["messages"]]
    assert kinds[0] == ("public", "微信咨询：发票")
    assert any(k == "internal" and "已核实订单" in b for k, b in kinds)
    [sent] = mail.outbox
    assert sent.to == ["zhaomin@example.cn"] and "已核实订单" not in sent.body  # never the summary


def test_the_same_idempotency_key_makes_one_ticket(api, agent_li, django_capture_on_commit_callbacks):
    headers = {"Idempotency-Key": "call-20261206-0001"}
    fields = {"customer_name": "钱多多", "customer_phone": "13700001111"}
    first = _create(api, agent_li, django_capture_on_commit_callbacks, headers=headers, **fields)
    second = _create(api, agent_li, django_capture_on_commit_callbacks, headers=headers, **fields)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1
    assert Ticket.objects.get().messages.filter(kind=MessageKind.INTERNAL).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_phone", "12345abc"),
        ("customer_phone", "+86 12 3"),
        ("customer_email", "not-an-email"),
        ("customer_email", "a@b"),
    ],
)
def test_invalid_phone_or_email_is_422_on_the_field(
    api, agent_li, field, value, django_capture_on_commit_callbacks
):
    response = _create(
        api, agent_li, django_capture_on_commit_callbacks, customer_name="孙悟空", **{field: value}
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field and body["code"] and body["message"]
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not RawInbound.objects.exists()


def test_a_customer_the_agent_cannot_see_is_404(api, agent_li, django_capture_on_commit_callbacks):
    response = _create(api, agent_li, django_capture_on_commit_callbacks, customer=999999)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Ticket.objects.exists()


def test_a_customer_cannot_use_the_staff_fields(api, customer_x, django_capture_on_commit_callbacks):
    response = _create(api, customer_x.user, django_capture_on_commit_callbacks, customer_phone="13800138000")
    assert response.status_code == 403 and response.json()["field"] == "channel"
    assert not Ticket.objects.exists()
