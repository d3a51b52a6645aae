"""Who the client is, against a real `kefu web` (issue 13 item 8, FAULTS X4, A4): with no trusted
proxy configured, `X-Forwarded-For`, `X-Real-IP` and `CF-Connecting-IP` from a loopback client do
not make it a new client for the per-IP API limit or the login lockout; with the proxy listed in
KEFU_TRUSTED_PROXIES, the address it forwards is the one that counts."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from kefu.cli import trusted_proxies
from tests.core.live import ROOT, embedded_env, live_template, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault("X4", "A4")

PASSWORD = "kefu-pass-123"
LIMITS = {"KEFU_API_RATE_PER_IP": "4/3600", "KEFU_LOGIN_FAILURE_LIMIT": "3"}


def forged(i: int) -> dict[str, str]:
    address = f"203.0.113.{i}"
    return {"X-Forwarded-For": address, "X-Real-IP": address, "CF-Connecting-IP": address}


def login(base: str, username: str, password: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/accounts/login/", headers=headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return browser.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers=headers,
        )


def test_forwarded_headers_from_an_untrusted_peer_change_nothing(live_template, tmp_path):  # noqa: F811
    with serving(live_template, tmp_path, **LIMITS) as server, httpx.Client(base_url=server.url) as api:
        answers = [api.get("/api/tickets", headers=forged(i)) for i in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        assert int(answers[-1].headers["Retry-After"]) > 0
        assert answers[-1].headers["RateLimit-Limit"] == "4"

        # Three accounts, three "addresses", one socket address: the third failure locks it.
        failures = [login(server.url, f"nobody{i}", "wrong", forged(10 + i)).status_code for i in range(3)]
        assert failures == [200, 200, 429]
        locked = login(server.url, "customer_x", PASSWORD, forged(99))
        assert locked.status_code == 429
        assert "sessionid" not in locked.cookies


def test_a_configured_proxy_is_believed(live_template, tmp_path):  # noqa: F811
    with (
        serving(live_template, tmp_path, KEFU_TRUSTED_PROXIES="127.0.0.1, ::1", **LIMITS) as server,
        httpx.Client(base_url=server.url) as api,
    ):
        # Each forwarded address is a client of its own…
        assert [api.get("/api/tickets", headers=forged(i)).status_code for i in range(6)] == [401] * 6
        # …with its own limit.
        assert [api.get("/api/tickets", headers=forged(7)).status_code for _ in range(5)] == [401] * 4 + [429]
        assert api.get("/api/tickets", headers=forged(8)).status_code == 401

        for i in range(3):
            login(server.url, f"nobody{i}", "wrong", forged(20))
        assert login(server.url, "customer_x", PASSWORD, forged(20)).status_code == 429
        assert login(server.url, "customer_x", PASSWORD, forged(21)).status_code == 302


@pytest.mark.parametrize("value", ["10.0.0.5, 10.1.0.0/16", "::1", ""])
def test_trusted_proxies_are_addresses_or_networks(value):
    assert trusted_proxies(value) == value.replace(" ", "")


def test_a_typo_in_trusted_proxies_stops_kefu_with_the_entry_named(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kefu.cli", "web", "--port", "1"],
        env=embedded_env(tmp_path, KEFU_TRUSTED_PROXIES="10.0.0.5, proxy.internal"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "'proxy.internal' is not an IP address or network" in done.stderr
