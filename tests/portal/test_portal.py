"""The customer portal through the browser's eyes: sign up, log in, send, follow, reply, close."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.accounts.models import Role, User
from kefu.tickets import services
from kefu.tickets.models import Attachment, Ticket
from kefu.tickets.states import Status

from .signup_flow import finish_sign_up

PASSWORD = "kefu-pass-123"


def form_token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def submit(
    client,
    *,
    subject="退货申请",
    description="收到的杯子是碎的，想退货。",
    files=(),
    token=None,
    type="after_sales",
):
    token = token or form_token(client, reverse("portal:new"))
    data = {"subject": subject, "description": description, "type": type, "token": token}
    if files:
        data["attachments"] = list(files)
    return client.post(reverse("portal:new"), data)


def pdf(name="receipt.pdf", size=200):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, content_type="application/pdf")


@pytest.fixture
def x_client(client, customer_x):
    client.force_login(customer_x.user)
    return client


def test_anonymous_landing_offers_request_login_signup_and_hotline(client, settings):
    settings.KEFU_HOTLINE = "400-123-4567"
    page = client.get(reverse("portal:home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "400-123-4567" in html
    for name in ("contact:form", "accounts:login", "portal:signup"):
        assert reverse(name) in html


@pytest.mark.fault("F2")
def test_sign_up_log_in_by_email_submit_with_attachment_and_see_it_listed(client, db, mailoutbox):
    page = client.post(reverse("portal:signup"), {"name": "王小红", "email": "xiaohong@example.cn"})
    assert page.status_code == 200 and "Check your mailbox" in page.content.decode()
    assert "the link works for 24 hours" in page.content.decode()  # the signer's real max age
    page = finish_sign_up(client, mailoutbox, password="hongkong-9988")
    assert page.status_code == 302 and page.url == reverse("portal:home")
    user = User.objects.get(email="xiaohong@example.cn")
    assert user.role == Role.CUSTOMER and user.customer.name == "王小红"

    client.logout()
    page = client.post(
        reverse("accounts:login"),
        {"username": "xiaohong@example.cn", "password": "hongkong-9988"},
        follow=True,
    )
    assert page.redirect_chain[-1][0] == reverse("portal:home")
    assert "No requests yet" in page.content.decode()

    page = submit(client, subject="杯子碎了", files=[pdf("照片说明.pdf")])
    ticket = Ticket.objects.get(subject="杯子碎了")
    assert page.status_code == 302 and page.url == reverse("portal:ticket", args=[ticket.pk])
    assert ticket.channel == "web" and ticket.type == "after_sales"

    detail = client.get(page.url).content.decode()
    assert "照片说明.pdf" in detail
    attachment = Attachment.objects.get(ticket=ticket)
    download = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    listing = client.get(reverse("portal:home")).content.decode()
    assert "杯子碎了" in listing and ticket.number in listing
    assert "Received" in listing  # the customer's word for "new"


@pytest.mark.fault("A2", "F1")
def test_another_customers_ticket_and_attachment_are_404(client, customer_x, customer_y):
    client.force_login(customer_x.user)
    submit(client, subject="张小明的订单", files=[pdf()])
    ticket = Ticket.objects.get(subject="张小明的订单")
    attachment = Attachment.objects.get(ticket=ticket)

    client.force_login(customer_y.user)
    assert client.get(reverse("portal:ticket", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("portal:status", args=[ticket.pk]), {"to": "closed"}).status_code == 404
    assert "张小明的订单" not in client.get(reverse("portal:home")).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.messages.count() == 1


@pytest.mark.fault("F1")
def test_customer_never_sees_internal_notes(x_client, customer_x, agent_li, make_ticket):
    ticket = make_ticket(customer_x)
    note = services.add_note(
        ticket,
        body="内部备注：该客户疑似职业索赔",
        by=agent_li,
        attachments=[services.Upload("内部核查.pdf", b"%PDF secret")],
    )
    services.reply(ticket, body="您好，已为您查询物流。", by=agent_li)
    html = x_client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "已为您查询物流" in html
    assert "职业索赔" not in html and "内部核查.pdf" not in html
    assert "李娜" in html  # the agent who answered is named
    secret = note.message.attachments.get()
    assert x_client.get(reverse("portal:attachment", args=[secret.pk])).status_code == 404


def test_reply_from_customer_reopens_a_pending_ticket(x_client, customer_x, agent_li, make_ticket):
    ticket = make_ticket(customer_x)
    services.reply(ticket, body="请提供订单号。", by=agent_li)
    services.change_status(ticket, to=Status.PENDING, by=agent_li)
    assert "Waiting for your reply" in x_client.get(reverse("portal:home")).content.decode()

    token = form_token(x_client, reverse("portal:ticket", args=[ticket.pk]))
    page = x_client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"body": "订单号 20241111-8888", "token": token},
        follow=True,
    )
    assert "订单号 20241111-8888" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    # A double click on "Send reply" posts the same form twice: still one reply.
    x_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "订单号 20241111-8888", "token": token})
    assert ticket.messages.filter(body_text="订单号 20241111-8888").count() == 1


def test_close_and_reopen(x_client, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    page = x_client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "Close request" in page and "Reopen request" not in page

    page = x_client.post(reverse("portal:status", args=[ticket.pk]), {"to": "closed"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    html = page.content.decode()
    assert "Reopen request" in html and "Your request was closed" in html

    x_client.post(reverse("portal:status", args=[ticket.pk]), {"to": "open"})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_customer_cannot_use_agent_transitions(x_client, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    assert x_client.post(reverse("portal:status", args=[ticket.pk]), {"to": "solved"}).status_code == 404
    page = x_client.post(reverse("portal:status", args=[ticket.pk]), {"to": "open"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert "cannot go from" in page.content.decode()


def test_double_submit_with_the_same_form_token_creates_one_ticket(x_client):
    token = form_token(x_client, reverse("portal:new"))
    first = submit(x_client, subject="重复提交", token=token)
    second = submit(x_client, subject="重复提交", token=token)
    assert Ticket.objects.filter(subject="重复提交").count() == 1
    assert first.url == second.url


@pytest.mark.fault("F4")
def test_forbidden_attachment_is_rejected_with_a_message_and_the_ticket_saved(x_client):
    virus = SimpleUploadedFile("setup.exe", b"MZ\x90\x00evil", content_type="application/octet-stream")
    page = submit(x_client, subject="安装包打不开", files=[virus, pdf("ok.pdf")])
    ticket = Ticket.objects.get(subject="安装包打不开")
    html = x_client.get(page.url).content.decode()
    assert "setup.exe: this file type is not allowed." in html
    assert list(ticket.attachments.values_list("filename", flat=True)) == ["ok.pdf"]


@pytest.mark.fault("F4")
def test_oversized_attachment_is_rejected_with_a_message_and_the_ticket_saved(x_client, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1000
    page = submit(
        x_client, subject="视频太大", files=[pdf("video.pdf", size=5000), pdf("small.pdf", size=10)]
    )
    ticket = Ticket.objects.get(subject="视频太大")
    html = x_client.get(page.url).content.decode()
    assert "video.pdf is too large" in html
    assert list(ticket.attachments.values_list("filename", flat=True)) == ["small.pdf"]


@pytest.mark.fault("U1")
def test_script_in_subject_and_body_is_shown_escaped(x_client):
    page = submit(
        x_client, subject="<script>alert('s')</script>", description="<script>alert('b')</script><b>x</b>"
    )
    html = x_client.get(page.url).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>alert" not in x_client.get(reverse("portal:home")).content.decode()


def test_missing_fields_get_form_errors(x_client):
    token = form_token(x_client, reverse("portal:new"))
    page = x_client.post(
        reverse("portal:new"), {"subject": "", "description": "", "type": "bogus", "token": token}
    )
    assert page.status_code == 422
    assert page.content.decode().count('data-field-error="') == 3
    assert not Ticket.objects.exists()


@pytest.mark.fault("X3")
def test_staff_and_anonymous_stay_out_of_portal_pages(client, agent_li, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    url = reverse("portal:ticket", args=[ticket.pk])
    page = client.get(url)
    assert page.status_code == 302 and reverse("accounts:login") in page.url
    client.force_login(agent_li)
    assert client.get(url).status_code == 403
    assert client.get(reverse("portal:new")).status_code == 403


def test_organisation_sharing_shows_colleagues_requests(client, customer_x, make_ticket):
    from tests.factories import CustomerFactory, OrganisationFactory, UserFactory

    org = OrganisationFactory(name="星河贸易", share_tickets=True)
    colleague = CustomerFactory(name="同事小李", email="li@xinghe.cn", organisation=org)
    make_ticket(colleague, subject="同事的工单")
    me = UserFactory(username="me", role=Role.CUSTOMER, email="me@xinghe.cn")
    CustomerFactory(user=me, name="我", email="me@xinghe.cn", organisation=org)
    client.force_login(me)
    html = client.get(reverse("portal:home")).content.decode()
    assert "同事的工单" in html and "同事小李" in html
