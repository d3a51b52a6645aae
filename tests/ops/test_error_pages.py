"""What a person sees when something goes wrong: a page in their language, never Django's or a traceback."""

from __future__ import annotations

import copy
import socket
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client
from django.utils import translation

from kefu.ops.errors import RETRY_AFTER_SECONDS

pytestmark = pytest.mark.django_db


def _signed_in(user, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.force_login(user)
    return client


def test_an_unknown_page_is_a_404_page_with_the_workspace_around_it(agent_li):
    response = _signed_in(agent_li).get("/agent/tickets/KF-000149/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist, or you may not see it." in page
    assert "李娜" in page  # the navigation is there: the agent is not thrown out of the workspace
    assert "Not Found" not in page and "The requested resource" not in page


def test_the_404_page_speaks_chinese_by_default(agent_li, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        response = _signed_in(agent_li).get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_an_unknown_api_path_answers_json(agent_li):
    response = _signed_in(agent_li).get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.fault("U2")
def test_an_expired_form_says_what_to_do_instead_of_csrf_jargon(agent_li):
    browser = _signed_in(agent_li, enforce_csrf_checks=True)
    response = browser.post("/accounts/tokens/", {"name": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired. Reload the page and try again" in page
    assert "CSRF verification failed" not in page
    fragment = browser.post("/accounts/tokens/", {"name": "x"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 403
    assert "<html" not in fragment.content.decode()  # htmx swaps it into the page
    assert 'data-error-code="csrf_failed"' in fragment.content.decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down():
    """The real connection fails: PostgreSQL on a port where nothing listens (a fresh pool that can never
    fill, so no pooled connection is handed out), SQLite on a missing path."""
    conn = connections["default"]
    saved_connection, saved_settings = conn.connection, copy.deepcopy(conn.settings_dict)
    pools = getattr(conn, "_connection_pools", {})
    saved_pool = pools.pop(conn.alias, None)
    conn.connection = None  # the next query connects afresh, with the settings below
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent/kefu/db.sqlite3"
    else:
        conn.settings_dict["PORT"] = _closed_port()
        if conn.settings_dict["OPTIONS"].get("pool"):
            conn.settings_dict["OPTIONS"]["pool"]["timeout"] = 1
    try:
        yield
    finally:
        if conn.connection is not None:
            conn.connection.close()
        if conn.alias in pools:
            pools.pop(conn.alias).close()
        if saved_pool is not None:
            pools[conn.alias] = saved_pool
        conn.connection = saved_connection
        conn.settings_dict.clear()
        conn.settings_dict.update(saved_settings)


@pytest.mark.fault("B2")
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_friendly_503_and_the_workspace_is_back_after_it(agent_li):
    browser = _signed_in(agent_li)
    with database_down():
        page = browser.get("/agent/")
        api = browser.get("/api/tickets")
    assert page.status_code == 503
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    text = page.content.decode()
    assert "The service is briefly unavailable. Please try again in a moment." in text
    assert 'http-equiv="refresh"' in text
    for leak in ("Traceback", "OperationalError", "unable to open", "/nonexistent", "5432", "refused"):
        assert leak not in text
    assert api.status_code == 503 and api.json()["code"] == "unavailable"
    assert browser.get("/agent/").status_code == 200  # same session, nothing to redo


def test_pages_name_an_icon_and_favicon_ico_leads_to_it(agent_li):
    browser = _signed_in(agent_li)
    assert 'rel="icon" href="/static/kefu/favicon.svg"' in browser.get("/agent/").content.decode()
    old = browser.get("/favicon.ico")
    assert old.status_code == 301 and old["Location"] == "/static/kefu/favicon.svg"
