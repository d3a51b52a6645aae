"""Signing up proves the mailbox before anything of the customer's is shown (FAULTS X1, X3)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.intake import signup
from kefu.intake.services import InboundMessage, receive

from .signup_flow import finish_sign_up, link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier_mail_ticket(db):
    """A customer who wrote by email and has no portal account yet."""
    return receive(
        InboundMessage(
            channel="email",
            external_id="<abc@mail>",
            from_email="old@example.cn",
            from_name="老顾客",
            subject="发票抬头写错了",
            body_text="请帮我重开发票，地址是北京市朝阳区。",
        )
    ).ticket


def sign_up(client, email: str, name: str = "某人"):
    return client.post(reverse("portal:signup"), {"name": name, "email": email})


@pytest.mark.fault("E2", "X1", "X3")
def test_typing_a_customers_address_shows_nothing_of_theirs(client, earlier_mail_ticket, mailoutbox):
    page = sign_up(client, "old@example.cn", name="陌生人")
    assert page.status_code == 200
    assert "Check your mailbox" in page.content.decode()
    assert "发票抬头写错了" not in page.content.decode()
    # Not logged in, no account made: the stranger is where they started.
    assert "_auth_user_id" not in client.session
    assert "发票抬头写错了" not in client.get(reverse("portal:home")).content.decode()
    assert not User.objects.filter(email__iexact="old@example.cn").exists()
    # The link went to the mailbox's owner, not to the person who typed the address.
    assert [m.to for m in mailoutbox] == [["old@example.cn"]]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.fault("X3")
def test_the_mailbox_owner_finishes_and_sees_the_earlier_tickets(client, earlier_mail_ticket, mailoutbox):
    sign_up(client, "old@example.cn", name="老顾客")
    owner = Client()
    page = finish_sign_up(owner, mailoutbox, password="fapiao-2024x")
    assert page.status_code == 302
    user = User.objects.get(email="old@example.cn")
    assert user.customer.pk == earlier_mail_ticket.customer_id
    assert "发票抬头写错了" in owner.get(reverse("portal:home")).content.decode()
    # The password is the one chosen on the link's page; it logs in by email too.
    fresh = Client()
    assert (
        fresh.post(
            reverse("accounts:login"), {"username": "old@example.cn", "password": "fapiao-2024x"}
        ).status_code
        == 302
    )


@pytest.mark.fault("X2")
def test_a_link_works_once(client, earlier_mail_ticket, mailoutbox):
    sign_up(client, "old@example.cn")
    path = link_in(mailoutbox[-1])
    assert finish_sign_up(Client(), mailoutbox, password="fapiao-2024x").status_code == 302
    again = Client().post(path, {"password": "other-pass-77", "repeat": "other-pass-77"})
    assert again.status_code == 400 and "already exists" in again.content.decode()
    assert User.objects.filter(email="old@example.cn").count() == 1
    assert User.objects.get(email="old@example.cn").check_password("fapiao-2024x")


@pytest.mark.fault("X2")
def test_a_forged_or_mangled_link_is_refused(client, mailoutbox):
    sign_up(client, "new@example.cn")
    path = link_in(mailoutbox[-1])
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = signup.signup_token(email="victim@example.cn", name="x", language="en")[:-3] + "abc"
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        page = client.get(reverse("portal:signup_confirm", kwargs={"token": bad}))
        assert page.status_code == 400 and 'data-error-code="link_invalid"' in page.content.decode()
    assert not User.objects.filter(email__in=["new@example.cn", "victim@example.cn"]).exists()


@pytest.mark.fault("X1")
def test_an_address_with_an_account_gets_the_same_answer_and_a_note_instead_of_a_link(
    client, customer_x, mailoutbox
):
    known = sign_up(client, customer_x.user.email.upper(), name="冒名")
    unknown = sign_up(client, "nobody-yet@example.cn", name="新人")

    def strip(page) -> str:  # the address typed and the per-response CSRF mask aside
        html = (
            page.content.decode()
            .replace(customer_x.user.email.upper(), "@")
            .replace("nobody-yet@example.cn", "@")
        )
        return re.sub(r'(csrf-token" content=|csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)

    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    note, link = mailoutbox
    assert note.to == [customer_x.user.email]
    # In the owner's own language (zh-Hans here), with their username and no sign-up link.
    assert "已有账户" in note.body and customer_x.user.username in note.body
    assert "signup/confirm" not in note.body
    assert reverse("accounts:password_reset") in note.body
    assert "signup/confirm" in link.body
    assert User.objects.filter(email__iexact=customer_x.user.email).count() == 1


@pytest.mark.fault("X1")
def test_mails_to_one_address_are_capped(client, mailoutbox):
    for _ in range(6):
        assert sign_up(client, "flood@example.cn").status_code == 200
    assert len(mailoutbox) == 3


def test_a_weak_or_mistyped_password_is_refused_on_the_links_page(client, mailoutbox):
    sign_up(client, "a@example.cn")
    weak = finish_sign_up(client, mailoutbox, password="123")
    assert weak.status_code == 422 and "too short" in weak.content.decode()
    typo = finish_sign_up(client, mailoutbox, password="good-pass-2024", repeat="good-pass-2025")
    assert typo.status_code == 422 and "The two passwords differ." in typo.content.decode()
    assert not User.objects.filter(email="a@example.cn").exists()


@pytest.mark.fault("B4")
def test_a_mail_server_that_is_down_is_said_plainly(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    page = sign_up(client, "later@example.cn")
    assert page.status_code == 422
    assert "We could not send the mail just now" in page.content.decode()


@pytest.mark.fault("X2")
@pytest.mark.django_db(transaction=True)
def test_one_link_used_twice_at_once_makes_one_account(mailoutbox):
    """Real threads with their own connections. On PostgreSQL they run at once; SQLite's in-memory test
    database refuses concurrent writers outright (kefu's WAL file queues them), so there they take turns."""
    sign_up(Client(), "race@example.cn")
    path = link_in(mailoutbox[-1])
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(2 if concurrent else 1)
    turn = threading.Lock()
    answers: list[int] = []

    def use_link():
        if not concurrent:
            turn.acquire()
        try:
            barrier.wait(timeout=10)
            answer = Client().post(path, {"password": "race-pass-2024", "repeat": "race-pass-2024"})
            answers.append(answer.status_code)
        finally:
            connections.close_all()
            if not concurrent:
                turn.release()

    threads = [threading.Thread(target=use_link) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [302, 400]
    assert User.objects.filter(email="race@example.cn").count() == 1
