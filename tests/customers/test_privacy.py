"""One customer's data exported whole and erased on request, resumably (FAULTS D4, D3)."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.accounts.models import AuditEntry
from kefu.customers import privacy
from kefu.customers.errors import ErasureRefused
from kefu.customers.models import Customer, ErasureRequest, Order
from kefu.customers.services import add_identity, add_note
from kefu.tickets import services
from kefu.tickets.models import Attachment, Message
from kefu.tickets.selectors import search_tickets
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(customer_x, make_ticket, agent_li, lead_zhao):
    """customer_x with a ticket (and a file), an order whose number a spreadsheet would run, a note."""
    customer_x.phone = "13800138000"
    customer_x.save()
    ticket = make_ticket(customer_x, subject="退货 xylophone", body="我的地址是北京市朝阳区某某路 1 号")
    services.reply(
        ticket,
        body="请看附件",
        by=agent_li,
        attachments=[services.Upload(name="发票.pdf", content=b"%PDF-1.4 x", content_type="application/pdf")],
    )
    Order.objects.create(
        order_id='=HYPERLINK("http://evil")',
        customer=customer_x,
        amount=Decimal("99.00"),
        ordered_at=timezone.now(),
        raw={"customer_name": "张小明", "phone": "13800138000"},
    )
    add_identity(customer_x, kind="email", value="ming@work.example.cn")
    add_note(customer_x, body="喜欢电话联系", by=lead_zhao)
    return ticket


@pytest.mark.fault("D4")
@pytest.mark.fault("D3")
def test_the_export_holds_everything_and_is_audited(history, customer_x, lead_zhao):
    data = privacy.export_customer(customer_x, by=lead_zhao, ip="10.0.0.1")
    archive = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(archive.read("customer.json"))
    assert doc["profile"]["email"] == "xiaoming@example.cn" and doc["profile"]["notify_by_mail"] is True
    assert doc["profile"]["identities"][0]["value"] == "ming@work.example.cn"
    assert doc["profile"]["notes"][0]["body"] == "喜欢电话联系"
    [ticket] = doc["tickets"]
    assert ticket["subject"] == "退货 xylophone"
    assert [m["body"] for m in ticket["messages"]][:2] == ["我的地址是北京市朝阳区某某路 1 号", "请看附件"]
    assert ticket["messages"][1]["attachments"][0]["filename"] == "发票.pdf"
    [attached] = [n for n in archive.namelist() if n.startswith("tickets/")]
    assert archive.read(attached) == b"%PDF-1.4 x"
    assert doc["orders"][0]["amount"] == "99.00"
    orders_csv = archive.read("orders.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in orders_csv  # a spreadsheet shows it as text, never runs it
    entry = AuditEntry.objects.get(action="customer_export")
    assert entry.actor == lead_zhao and entry.ip == "10.0.0.1" and entry.detail["customer"] == customer_x.pk


@pytest.mark.fault("D4")
def test_an_erasure_is_refused_with_a_reason_while_tickets_are_open(history, customer_x, lead_zhao):
    with pytest.raises(ErasureRefused, match="still open"):
        privacy.request_erasure(customer_x, by=lead_zhao)
    assert not ErasureRequest.objects.exists()


@pytest.mark.fault("D4")
def test_an_erasure_killed_halfway_resumes_and_leaves_a_pseudonymous_record(
    history, customer_x, lead_zhao, agent_li
):
    services.change_status(history, to="solved", by=agent_li)
    stored = Attachment.objects.get()
    path = stored.file.path
    request = privacy.request_erasure(customer_x, by=lead_zhao, reason="客户来电要求删除")
    privacy.continue_erasure(request.pk, stop_after=1)  # the worker dies after the first part
    request.refresh_from_db()
    assert list(request.done) == ["orders"] and request.finished_at is None
    assert Customer.objects.get(pk=customer_x.pk).email == "xiaoming@example.cn"  # not yet
    out = io.StringIO()
    call_command("customers", "erase", f"#{request.pk}", stdout=out)  # run again: goes on
    request.refresh_from_db()
    assert set(request.done) == {"orders", "feedback", "mail", "profile", "tickets"}
    assert request.finished_at is not None
    gone = Customer.objects.get(pk=customer_x.pk)
    assert (gone.email, gone.phone, gone.user_id) == ("", "", None) and gone.erased_at is not None
    assert gone.identities.count() == 0 and gone.note_entries.count() == 0
    assert not Attachment.objects.exists()
    assert not Path(path).exists()
    assert set(Message.objects.filter(ticket=history).values_list("body_text", flat=True)) == {"[erased]"}
    assert Order.objects.get().raw == {} and Order.objects.get().amount == Decimal("99.00")  # figures keep it
    assert search_tickets(lead_zhao, "xylophone") == [] and search_tickets(lead_zhao, "张小明") == []
    customer_x.user.refresh_from_db()
    assert not customer_x.user.is_active and not customer_x.user.has_usable_password()
    assert privacy.continue_erasure(request.pk) == request.done  # once more: nothing
    for entry in AuditEntry.objects.filter(action__startswith="customer_eras"):
        assert "xiaoming" not in json.dumps(entry.detail) + entry.summary
        assert entry.detail["subject"] == request.subject
    with pytest.raises(ErasureRefused):
        privacy.request_erasure(gone, by=lead_zhao)


@pytest.mark.fault("D4")
def test_export_and_erasure_over_the_api_are_for_supervisors(
    settings, history, customer_x, agent_li, lead_zhao, django_capture_on_commit_callbacks
):
    settings.KEFU_API_RATE = settings.KEFU_API_RATE_PER_IP = "10000/3600"
    api = Api()
    assert api.get(agent_li, f"/customers/{customer_x.pk}/export").status_code == 403
    got = api.get(lead_zhao, f"/customers/{customer_x.pk}/export")
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    refused = api.post(lead_zhao, f"/customers/{customer_x.pk}/erase", {"reason": "request"})
    assert refused.status_code == 409 and "still open" in refused.json()["message"]
    services.change_status(history, to="solved", by=agent_li)
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(lead_zhao, f"/customers/{customer_x.pk}/erase", {"reason": "request"})
    assert done.status_code == 202
    assert ErasureRequest.objects.get().finished_at is not None  # the task ran (eager in tests)
    assert Customer.objects.get(pk=customer_x.pk).erased_at is not None


@pytest.mark.fault("D4")
def test_the_periodic_sweep_finishes_an_erasure_whose_worker_died(customer_x, lead_zhao, fixed_clock):
    from datetime import timedelta

    from kefu.customers.tasks import resume_erasures

    request = privacy.request_erasure(customer_x, by=lead_zhao)
    privacy.continue_erasure(request.pk, stop_after=1)
    assert resume_erasures.delay().get() == 0  # too recent: its worker may still be at it
    fixed_clock.shift(timedelta(minutes=6))
    assert resume_erasures.delay().get() == 1
    assert resume_erasures.delay().get() == 0  # done: nothing left for a second node or run
    request.refresh_from_db()
    assert request.finished_at is not None and Customer.objects.get(pk=customer_x.pk).erased_at is not None
