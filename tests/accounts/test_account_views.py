"""Account pages: personal API tokens and the login lockout."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kefu.accounts.errors import TokenInvalid
from kefu.accounts.models import ApiToken
from kefu.accounts.services import authenticate_token, create_api_token
from tests.conftest import PASSWORD


def client_for(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.fault("X2")
def test_token_page_creates_shows_secret_once_and_revokes(agent_li):
    client = client_for(agent_li)
    created = client.post(reverse("accounts:tokens"), {"name": "CRM 同步", "expires_in_days": "90"})
    assert created.status_code == 201
    secret = created.context["new_secret"]
    assert secret in created.content.decode()
    assert authenticate_token(secret) == agent_li

    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "CRM 同步" in listing and secret not in listing  # never shown again
    token = ApiToken.objects.get(user=agent_li)
    assert token.token_hash != secret and token.expires_at is not None

    revoked = client.post(reverse("accounts:revoke_token", args=[token.pk]), follow=True)
    assert "revoked" in revoked.content.decode()
    with pytest.raises(TokenInvalid):
        authenticate_token(secret)


def test_token_name_is_required(agent_li):
    response = client_for(agent_li).post(reverse("accounts:tokens"), {"name": "  "})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


@pytest.mark.fault("A2")
def test_someone_elses_token_cannot_be_revoked(agent_li, agent_wang):
    token, secret = create_api_token(user=agent_wang, name="王芳的脚本")
    assert client_for(agent_li).post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 404
    assert authenticate_token(secret) == agent_wang


def test_tokens_page_needs_login(db):
    response = client_for(None).get(reverse("accounts:tokens"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_login_works_and_lands_on_the_workspace(agent_li):
    client = client_for(None)
    response = client.post(reverse("accounts:login"), {"username": "agent_li", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url, follow=True).request["PATH_INFO"] == reverse("agent:queue")


@pytest.mark.fault("X1")
def test_five_failed_logins_lock_the_account(agent_li):
    client = client_for(None)
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "agent_li", "password": "wrong-password"})
    locked = client.post(url, {"username": "agent_li", "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert 'data-testid="locked"' in locked.content.decode()
    assert "_auth_user_id" not in client.session


def _user_menu(html: str) -> str:
    return html.split('data-testid="user-menu"', 1)[1].split("</div>\n          </div>", 1)[0]


def test_a_customers_menu_offers_requests_notifications_and_account_settings(customer_x):
    """Issue 14 item 9: the menu of a customer offered only "API 令牌"."""
    client = client_for(customer_x.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("accounts:notifications")).content.decode()
    menu = _user_menu(page)
    assert "我的工单" in menu and "通知" in menu and "账户设置" in menu
    assert reverse("portal:home") in menu and reverse("portal:password") in menu
    assert "API 令牌" not in page and reverse("accounts:tokens") not in page  # nothing a customer uses


def test_staff_find_api_tokens_in_their_menu(agent_li, admin_user):
    menu = _user_menu(client_for(agent_li).get(reverse("accounts:notifications")).content.decode())
    assert reverse("accounts:tokens") in menu and "My requests" not in menu
    assert reverse("admin:index") not in menu
    assert reverse("admin:index") in _user_menu(
        client_for(admin_user).get(reverse("accounts:notifications")).content.decode()
    )
