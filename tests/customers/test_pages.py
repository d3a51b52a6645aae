"""The ticket page masks the customer's number; supervisors unmask it (audited) and import orders."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.accounts.models import AuditEntry
from kefu.customers.models import Order, TierRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer_x, team_aftersales, make_ticket):
    customer_x.phone = "13800138000"
    customer_x.tier = "vip"
    customer_x.save()
    return make_ticket(customer_x, team=team_aftersales)


def login(client, user):
    client.force_login(user)


def test_an_agent_sees_the_number_masked_and_no_unmask_button(client, agent_li, ticket):
    login(client, agent_li)
    TierRule.objects.filter(tier="vip").update(name="金卡")
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert 'data-testid="unmask-phone"' not in page
    assert "金卡" in page  # the badge names the tier as the rules do
    assert client.post(reverse("customers:reveal_phone", args=[ticket.customer_id])).status_code == 404
    assert not AuditEntry.objects.filter(action="phone_unmask").exists()


def test_a_supervisor_unmasks_the_number_and_the_audit_log_records_it(client, lead_zhao, ticket):
    login(client, lead_zhao)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "138****8000" in page and 'data-testid="unmask-phone"' in page and "13800138000" not in page
    shown = client.post(reverse("customers:reveal_phone", args=[ticket.customer_id]))
    assert shown.status_code == 200 and "13800138000" in shown.content.decode()
    entry = AuditEntry.objects.get(action="phone_unmask")
    assert entry.actor == lead_zhao and entry.detail == {"customer": ticket.customer_id}


def test_a_supervisor_imports_a_file_and_reads_the_report(client, lead_zhao, agent_li, customer_x):
    login(client, agent_li)
    assert client.get(reverse("customers:import_orders")).status_code == 404
    login(client, lead_zhao)
    data = "订单号,邮箱,金额,下单时间\nW-1,xiaoming@example.cn,100,2026-06-01\nW-2,xiaoming@example.cn,abc,2026-06-01\n"
    upload = SimpleUploadedFile("orders.csv", data.encode("gb18030"), content_type="text/csv")
    page = client.post(reverse("customers:import_orders"), {"file": upload, "mapping": ""}).content.decode()
    assert 'data-testid="imported">1<' in page and 'data-testid="rejected">1<' in page
    assert "abc" in page  # line 3's reason
    assert list(Order.objects.values_list("order_id", flat=True)) == ["W-1"]
    assert AuditEntry.objects.get(action="orders_import").actor == lead_zhao
