"""新建工单 (issue 14 item 2): an agent opens a ticket for a customer through the agent pages.

Through HTTP: the form, its customer suggestions, the shortcut in the `?` help; the ticket goes
through intake (stored raw, triaged, routed, timed); bad input names the field and writes nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from kefu.customers.models import Customer
from kefu.intake.models import RawInbound
from kefu.routing.models import AssignmentRule
from kefu.sla.models import Metric, SlaTimer
from kefu.sla.services import ALWAYS_WEEKLY, TargetSpec, save_calendar, save_policy
from kefu.tickets.models import Message, MessageKind, Ticket
from tests.factories import CustomerFactory

URL = "/agent/tickets/new/"


@pytest.fixture(autouse=True)
def _world(db, team_aftersales):
    """A 7×24 calendar, a phone rule to the after-sales team and calendar-time SLA targets, so
    routing and timers do not depend on the instant the run is at."""
    save_calendar(by=None, name="全天候", weekly=ALWAYS_WEEKLY, statutory=False, is_default=True)
    AssignmentRule.objects.create(name="来电", position=1, channel="phone", team=team_aftersales)
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


@pytest.fixture
def li(client, agent_li):
    client.force_login(agent_li)
    return client


def _token(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)


def _post(client, django_capture_on_commit_callbacks, **data):
    form = {"channel": "phone", "first_message": "customer", "subject": "电话咨询退货", "body": "我想退货"}
    form.update(data)
    form.setdefault("token", _token(client.get(URL).content.decode()))
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, form)


def _routed_and_timed(ticket: Ticket, team) -> None:
    assert ticket.team == team  # the phone rule
    assert ticket.assignee is not None  # auto-assigned within the team
    metrics = set(SlaTimer.objects.filter(ticket=ticket).values_list("metric", flat=True))
    assert {Metric.FIRST_RESPONSE, Metric.RESOLUTION} <= metrics


def test_the_button_and_the_shortcut_are_in_the_workspace(li):
    page = li.get("/agent/").content.decode()
    assert "data-kefu-new-ticket" in page and f'href="{URL}"' in page
    assert "<kbd>c</kbd>" in page  # listed in the ? help
    assert "/static/tickets/agent.js" in page


def test_for_an_existing_customer_found_by_phone(
    li, agent_li, agent_wang, team_aftersales, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(name="王大伟", phone="138-0013-8000", email="dawei@example.cn")
    found = li.get(URL + "customers/", {"q": "0013"}).content.decode()
    assert f'value="{customer.pk}"' in found and "王大伟" in found
    response = _post(li, django_capture_on_commit_callbacks, customer=customer.pk)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/agent/tickets/{ticket.pk}/"
    assert ticket.customer == customer and ticket.channel == "phone"
    first = ticket.messages.order_by("id").first()
    assert first.kind == MessageKind.PUBLIC and first.from_customer and first.body_text == "我想退货"
    note = ticket.messages.get(kind=MessageKind.INTERNAL)
    assert note.author == agent_li and "李娜" in note.body_text
    assert RawInbound.objects.filter(ticket_id=ticket.pk, channel="phone").exists()  # through intake
    ticket.refresh_from_db()
    _routed_and_timed(ticket, team_aftersales)
    assert Customer.objects.count() == 1


def test_for_a_new_customer_created_on_the_spot_with_a_call_summary(
    li, agent_li, team_aftersales, django_capture_on_commit_callbacks
):
    response = _post(
        li,
        django_capture_on_commit_callbacks,
        customer_name="赵敏",
        customer_phone="+86 139 1234 5678",
        first_message="summary",
        subject="来电：快递未送达",
        body="客户来电，语气着急，快递三天没动，已承诺今天回电。",
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer.name == "赵敏" and ticket.customer.phone == "+8613912345678"
    public = ticket.messages.filter(kind=MessageKind.PUBLIC)
    assert [m.body_text for m in public] == ["来电：快递未送达"]  # the customer never sees the summary
    note = ticket.messages.get(kind=MessageKind.INTERNAL)
    assert "已承诺今天回电" in note.body_text and note.author == agent_li
    portal = li.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert "已承诺今天回电" in portal
    ticket.refresh_from_db()
    _routed_and_timed(ticket, team_aftersales)


def test_with_the_receipt_mail(li, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="周杰", phone="13700001111", email="zhoujie@example.cn")
    response = _post(li, django_capture_on_commit_callbacks, customer=customer.pk, mail_customer="on")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    [sent] = mail.outbox
    assert sent.to == ["zhoujie@example.cn"] and ticket.number in sent.subject
    assert "我想退货" in sent.body  # the customer's words, quoted
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_double_submit_makes_one_ticket(li, django_capture_on_commit_callbacks):
    token = _token(li.get(URL).content.decode())
    fields = {"customer_name": "钱多多", "customer_email": "qian@example.cn", "token": token}
    first = _post(li, django_capture_on_commit_callbacks, **fields)
    second = _post(li, django_capture_on_commit_callbacks, **fields)
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1
    assert Message.objects.filter(kind=MessageKind.INTERNAL).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_phone", "12345abc"),
        ("customer_phone", "12"),
        ("customer_email", "not-an-email"),
        ("customer_email", "a@b"),
    ],
)
def test_invalid_phone_or_email_is_an_error_on_the_field(
    li, field, value, django_capture_on_commit_callbacks
):
    response = _post(li, django_capture_on_commit_callbacks, customer_name="孙悟空", **{field: value})
    assert response.status_code == 422
    page = response.content.decode()
    assert f'data-testid="error-{field}"' in page and value in page
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not RawInbound.objects.exists()


def test_a_customer_the_agent_cannot_see_is_404(li, django_capture_on_commit_callbacks):
    response = _post(li, django_capture_on_commit_callbacks, customer=999999)
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_customers_and_department_members_cannot_open_tickets_for_others(client, customer_x, dept_chen):
    client.force_login(customer_x.user)
    assert client.get(URL).status_code in (302, 404)
    client.force_login(dept_chen)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "customers/", {"q": "a"}).status_code == 403
