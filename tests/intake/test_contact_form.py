"""The public contact form: a ticket at once, visible to the customer only after the emailed link."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.intake.models import ContactRequest
from kefu.intake.services import CONFIRM_SALT
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import visible_tickets

pytestmark = pytest.mark.django_db

EMAIL = "newbie@example.cn"


def token(client, embed=False) -> str:
    page = client.get(reverse("contact:form") + ("?embed=1" if embed else ""))
    return re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def post_contact(client, *, embed=False, form_token=None, follow=False, **fields):
    data = {
        "name": "小新",
        "email": EMAIL,
        "subject": "快递一直没到",
        "message": "订单 8899 三天没有物流更新。",
        "token": form_token or token(client, embed),
        **fields,
    }
    return client.post(reverse("contact:form") + ("?embed=1" if embed else ""), data, follow=follow)


def link_path(message) -> str:
    url = re.search(r"https?://\S+/contact/confirm/\S+/", message.body).group(0)
    return urlsplit(url).path


@pytest.mark.fault("E2")
def test_contact_form_opens_ticket_mails_link_and_confirmation_shows_it(client, lead_zhao):
    page = post_contact(client, attachments=[SimpleUploadedFile("运单.pdf", b"%PDF-1.4 ok")])
    assert page.status_code == 302
    assert "Thank you, we received your request" in client.get(page.url).content.decode()

    ticket = Ticket.objects.get(subject="快递一直没到")
    assert ticket in visible_tickets(lead_zhao)  # agents can work it at once
    assert ticket.attachments.count() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL] and ticket.number in message.subject
    assert message.extra_headers["Auto-Submitted"] == "auto-replied"
    assert message.extra_headers["X-Auto-Response-Suppress"] == "All"

    # Before the link is clicked nobody can log in as this customer, so nobody sees the ticket.
    assert not User.objects.filter(email=EMAIL).exists()
    ticket_url = reverse("portal:ticket", args=[ticket.pk])
    assert reverse("accounts:login") in client.get(ticket_url).url

    path = link_path(message)
    confirm_page = client.get(path)  # a mail scanner's prefetch changes nothing
    assert confirm_page.status_code == 200 and not User.objects.filter(email=EMAIL).exists()
    page = client.post(path, follow=True)
    assert page.redirect_chain[-1][0] == ticket_url
    html = page.content.decode()
    assert "快递一直没到" in html and "运单.pdf" in html and "Set a password" in html

    user = User.objects.get(email=EMAIL)
    assert user.customer.pk == ticket.customer_id and not user.has_usable_password()

    # Set a password, then log in with email + password like any portal user.
    page = client.post(
        reverse("portal:password"), {"new_password1": "kuaidi-2024-ok", "new_password2": "kuaidi-2024-ok"}
    )
    assert page.status_code == 302
    other = Client()
    page = other.post(
        reverse("accounts:login"), {"username": EMAIL, "password": "kuaidi-2024-ok"}, follow=True
    )
    assert "快递一直没到" in page.content.decode()


@pytest.mark.fault("X2")
def test_link_works_once(client):
    post_contact(client)
    path = link_path(mail.outbox[0])
    assert client.post(path).status_code == 302
    stranger = Client()
    page = stranger.post(path)
    assert page.status_code == 400 and "already used" in page.content.decode()
    assert stranger.get(path).status_code == 400
    # The customer who used it is simply taken to the ticket.
    assert client.get(path).status_code == 302


@pytest.mark.fault("X2")
@pytest.mark.parametrize("mangle", ["forged", "tampered", "expired"])
def test_bad_link_is_a_clear_400(client, mangle):
    post_contact(client)
    contact = ContactRequest.objects.get()
    path = link_path(mail.outbox[0])
    if mangle == "forged":
        bad = signing.TimestampSigner(key="not-our-secret", salt=CONFIRM_SALT).sign(str(contact.pk))
        path = reverse("contact:confirm", args=[bad])
    elif mangle == "tampered":
        path = path.replace(f"/{contact.pk}:", f"/{contact.pk + 1}:")
    else:

        class EightDaysAgo(signing.TimestampSigner):
            def timestamp(self):
                return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)

        path = reverse("contact:confirm", args=[EightDaysAgo(salt=CONFIRM_SALT).sign(str(contact.pk))])
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        assert "not valid or has expired" in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()


def test_double_submit_creates_one_ticket_and_one_mail(client):
    form_token = token(client)
    post_contact(client, form_token=form_token)
    post_contact(client, form_token=form_token)
    assert Ticket.objects.filter(subject="快递一直没到").count() == 1
    assert len(mail.outbox) == 1


def test_honeypot_stores_nothing_but_looks_fine(client):
    page = post_contact(client, website="http://spam.example")
    assert page.status_code == 302
    assert not Ticket.objects.exists() and not mail.outbox


@pytest.mark.fault("A4")
def test_rate_limit_per_ip(client, settings):
    settings.KEFU_CONTACT_RATE = "3/600"
    for i in range(3):
        assert post_contact(client, subject=f"第{i}次").status_code == 302
    page = post_contact(client, subject="第4次")
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert "Too many requests" in page.content.decode()
    assert Ticket.objects.count() == 3
    # Another address is not affected.
    assert post_contact(Client(REMOTE_ADDR="10.1.2.3"), subject="别人的").status_code == 302


@pytest.mark.fault("U2")
def test_embed_is_frameable_without_csrf_cookie_while_the_page_is_not(db):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("contact:form"))
    assert page["X-Frame-Options"] == "DENY"
    assert post_contact(browser, form_token="0" * 32).status_code == 403  # no CSRF token

    framed = browser.get(reverse("contact:form") + "?embed=1")
    assert "X-Frame-Options" not in framed
    assert "navbar" not in framed.content.decode()
    page = post_contact(Client(enforce_csrf_checks=True), embed=True)
    assert page.status_code == 302 and "embed=1" in page.url
    assert "X-Frame-Options" not in Client().get(page.url)
    assert Ticket.objects.count() == 1 and len(mail.outbox) == 1


def test_form_errors_are_shown_and_nothing_is_stored(client):
    page = post_contact(client, email="not-an-email", subject="")
    assert page.status_code == 422
    assert page.content.decode().count('data-field-error="') == 2
    assert not Ticket.objects.exists()


@pytest.mark.fault("F4")
def test_bad_attachment_is_reported_while_the_ticket_is_kept(client):
    page = post_contact(client, attachments=[SimpleUploadedFile("tool.exe", b"MZ..")], follow=True)
    assert "tool.exe: this file type is not allowed." in page.content.decode()
    assert Ticket.objects.count() == 1 and not Ticket.objects.get().attachments.exists()


def test_email_is_in_the_customers_language(client):
    client.post(reverse("set_language"), {"language": "en"})
    post_contact(client)
    assert ContactRequest.objects.get().language == "en"
    assert "Please confirm your request" in mail.outbox[0].subject


@pytest.mark.fault("U1")
def test_script_in_subject_and_message_is_escaped_after_confirmation(client):
    post_contact(client, subject="<script>alert(1)</script>", message="<img src=x onerror=alert(2)>")
    page = client.post(link_path(mail.outbox[0]), follow=True)
    html = page.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.fault("X3")
def test_link_for_a_staff_email_never_logs_staff_in(client, agent_li):
    post_contact(client, email=agent_li.email)
    page = client.post(link_path(mail.outbox[0]))
    assert page.status_code == 302 and reverse("accounts:login") in page.url
    assert "_auth_user_id" not in client.session


@pytest.mark.fault("X3")
def test_existing_portal_customer_is_logged_in_by_the_link(client, customer_x):
    post_contact(client, email=customer_x.email, subject="老用户从官网留言")
    page = client.post(link_path(mail.outbox[0]), follow=True)
    assert "老用户从官网留言" in page.content.decode()
    assert int(client.session["_auth_user_id"]) == customer_x.user.pk
    assert User.objects.filter(email__iexact=customer_x.email).count() == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.mark.fault("B4")
def test_a_mail_server_that_is_down_delays_the_link_but_never_loses_it(client, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.intake import services

    moment = [timezone.now()]
    monkeypatch.setattr(services, "now", lambda: moment[0])

    # A real SMTP connection to a port where nothing listens: the server is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    page = post_contact(client)
    assert page.status_code == 302  # the customer's request is taken all the same
    contact = ContactRequest.objects.get()
    assert Ticket.objects.filter(pk=contact.ticket_id).exists()
    assert contact.email_sent_at is None and contact.email_attempts == 1

    # Still down 5 minutes later: one more try, counted; nothing is sent.
    moment[0] += timedelta(minutes=6)
    assert services.retry_confirmations() == 0
    assert ContactRequest.objects.get().email_attempts == 2
    # Back-off: the next try waits 10 minutes, so a run now does not even connect.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.retry_confirmations() == 0 and mail.outbox == []

    moment[0] += timedelta(minutes=11)
    assert services.retry_confirmations() == 1
    assert len(mail.outbox) == 1 and "/contact/confirm/" in mail.outbox[0].body
    contact = ContactRequest.objects.get()
    assert contact.email_sent_at is not None and contact.email_attempts == 3
    assert services.retry_confirmations() == 0  # sent once, never again
    assert client.get(link_path(mail.outbox[0]), follow=True).status_code == 200


def test_a_link_can_prefill_the_subject_and_message_but_not_beyond_the_limits(client):
    page = client.get(
        "/contact/", {"subject": "退款多久到账", "message": "我问了机器人\n还是不清楚 <b>x</b>"}
    )
    html = page.content.decode()
    assert (
        'value="退款多久到账"' in html and "我问了机器人\n还是不清楚 &lt;b&gt;x&lt;/b&gt;</textarea>" in html
    )
    long = client.get("/contact/", {"message": "长" * 50_000}).content.decode()
    assert "长" * 2000 in long and "长" * 2001 not in long
