"""An HTTP client for the API that speaks as a persona (Bearer token), plus shared tickets."""

from __future__ import annotations

import json as jsonlib

import pytest
from django.test import Client

from kefu.accounts.services import create_api_token


class Api:
    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[int, str] = {}

    def token(self, user) -> str:
        if user.pk not in self.tokens:
            self.tokens[user.pk] = create_api_token(user=user, name="tests")[1]
        return self.tokens[user.pk]

    def call(
        self,
        user,
        method: str,
        path: str,
        json=None,
        *,
        raw: str | bytes | None = None,
        headers: dict | None = None,
        **extra,
    ):
        headers = dict(headers or {})
        if user is not None:
            headers.setdefault("Authorization", f"Bearer {self.token(user)}")
        data = raw if raw is not None else ("" if json is None else jsonlib.dumps(json))
        return self.client.generic(
            method, f"/api{path}", data=data, content_type="application/json", headers=headers, **extra
        )

    def get(self, user, path, **kw):
        return self.call(user, "GET", path, **kw)

    def post(self, user, path, json=None, **kw):
        return self.call(user, "POST", path, json, **kw)

    def patch(self, user, path, json=None, **kw):
        return self.call(user, "PATCH", path, json, **kw)


@pytest.fixture(autouse=True)
def _fast_and_roomy(settings):
    # Rate limits have their own tests; elsewhere they must not get in the way.
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    # Argon2 is deliberately slow; the personas' passwords need no strength here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def ticket_x(customer_x, team_aftersales, make_ticket):
    """customer_x's ticket in the after-sales queue: someone else's for most personas."""
    return make_ticket(customer_x, subject="退货地址是哪里 xylophone", team=team_aftersales)
