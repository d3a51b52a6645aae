"""A forgotten password: the same answer for every address, a link that works once and not for long
(FAULTS X1, X2), and the old password's sessions and API tokens gone with it."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.errors import TokenInvalid
from kefu.accounts.models import Role
from kefu.accounts.services import authenticate_token, create_api_token
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FORGOT = reverse("accounts:password_reset")


def ask(client: Client, email: str):
    return client.post(FORGOT, {"email": email})


def reset_path(message) -> str:
    links = [url for url in re.findall(r"https?://\S+", message.body) if "/password/reset/" in url]
    assert links, message.body
    return urlsplit(links[0]).path


def choose(client: Client, path: str, password: str):
    """Open the link (Django moves the token into the session) and save the new password."""
    page = client.get(path, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    return page, client.post(form_url, {"new_password1": password, "new_password2": password})


def _without_csrf(page) -> str:
    return re.sub(
        r'(csrf-token" content=|csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", page.content.decode()
    )


def test_the_login_page_offers_it(client):
    assert FORGOT in client.get(reverse("accounts:login")).content.decode()


@pytest.mark.fault("E2", "X2")
def test_a_known_address_gets_a_link_that_sets_a_new_password_once(client, agent_li, mailoutbox):
    answer = ask(client, agent_li.email.upper())
    assert answer.status_code == 302 and answer.url == reverse("accounts:password_reset_sent")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [agent_li.email]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"
    assert agent_li.username in mailoutbox[0].body
    path = reset_path(mailoutbox[0])

    page, saved = choose(Client(), path, "brand-new-pass-42")
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    assert saved.status_code == 302 and saved.url == reverse("accounts:password_reset_complete")

    login = Client()
    assert (
        login.post(
            reverse("accounts:login"), {"username": agent_li.username, "password": PASSWORD}
        ).status_code
        == 200
    )
    assert (
        login.post(
            reverse("accounts:login"), {"username": agent_li.email, "password": "brand-new-pass-42"}
        ).status_code
        == 302
    )

    again, _ = choose(Client(), path, "third-pass-4242")
    assert 'data-testid="reset-invalid"' in again.content.decode()
    agent_li.refresh_from_db()
    assert agent_li.check_password("brand-new-pass-42")


@pytest.mark.fault("X1")
def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, agent_li, mailoutbox):
    known = Client().post(FORGOT, {"email": agent_li.email}, follow=True)
    unknown = Client().post(FORGOT, {"email": "nobody@example.cn"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert _without_csrf(known) == _without_csrf(unknown)
    assert [m.to for m in mailoutbox] == [[agent_li.email]]


@pytest.mark.fault("X2")
def test_the_old_password_s_sessions_and_api_tokens_stop_working(agent_li, mailoutbox):
    elsewhere = Client()
    elsewhere.force_login(agent_li)
    assert elsewhere.get(reverse("agent:queue")).status_code == 200
    _token, secret = create_api_token(user=agent_li, name="CRM")
    ask(Client(), agent_li.email)
    choose(Client(), reset_path(mailoutbox[0]), "brand-new-pass-42")
    assert elsewhere.get(reverse("agent:queue")).status_code == 302  # back to the login page
    with pytest.raises(TokenInvalid):
        authenticate_token(secret)


@pytest.mark.fault("X2")
def test_a_link_expires(agent_li, mailoutbox, settings):
    settings.PASSWORD_RESET_TIMEOUT = 1
    ask(Client(), agent_li.email)
    time.sleep(2.1)
    page, saved = choose(Client(), reset_path(mailoutbox[0]), "too-late-pass-1")
    assert 'data-testid="reset-invalid"' in page.content.decode()
    agent_li.refresh_from_db()
    assert agent_li.check_password(PASSWORD)


@pytest.mark.fault("X1")
def test_mails_to_one_address_are_capped(agent_li, mailoutbox):
    for _ in range(6):
        assert ask(Client(), agent_li.email).status_code == 302
    assert len(mailoutbox) == 3


@pytest.mark.fault("X1")
def test_one_client_asking_too_often_is_told_to_wait(db):
    client = Client()
    answers = [ask(client, f"someone{i}@example.cn").status_code for i in range(21)]
    assert answers[:20] == [302] * 20 and answers[20] == 429


@pytest.mark.fault("X1")
def test_a_deactivated_account_gets_nothing(mailoutbox):
    gone = UserFactory(username="gone", role=Role.AGENT, email="gone@example.cn", is_active=False)
    ask(Client(), gone.email)
    assert mailoutbox == []


def test_a_customer_from_the_contact_form_can_choose_a_first_password(mailoutbox):
    customer = UserFactory(username="formonly", role=Role.CUSTOMER, email="form@example.cn")
    customer.set_unusable_password()
    customer.save()
    ask(Client(), customer.email)
    choose(Client(), reset_path(mailoutbox[0]), "first-pass-2024")
    customer.refresh_from_db()
    assert customer.check_password("first-pass-2024")
