"""End-to-end fixtures: a real kefu server (uvicorn, SQLite in a temp folder) and Debian's Chromium."""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from email import policy
from pathlib import Path

import pytest

from tests.e2e import PASSWORD
from tests.servers import require

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# Chromium's own widgets (file inputs, validation bubbles) in Chinese, like a Chinese user's browser.
# On Linux the UI language comes from LANGUAGE; needs Debian's chromium-l10n (installed by .ci/run).
# The site's language is the app's business (Accept-Language from the context, or the switch).
CHROMIUM_ENV = {**os.environ, "LANGUAGE": "zh_CN:zh"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The user journeys (test_flows.py, which take the screenshots) run first on the fresh server,
    so docs/screenshots/ shows the realistic seed data rather than load tests' throwaway tickets."""
    items.sort(key=lambda item: item.path.name != "test_flows.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """The server's KEFU_DATA_DIR: database, uploads, and the file email backend's outbox-mail/."""
    return tmp_path_factory.mktemp("kefu-e2e")


@pytest.fixture(scope="session")
def server(data_dir):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_LANGUAGE": "zh-hans",
        # Links in emails (contact-form confirmation) point at this very server.
        "KEFU_BASE_URL": url,
    }
    env.pop("KEFU_DATABASE_URL", None)
    env.pop("KEFU_REDIS_URL", None)
    env.pop("KEFU_EMAIL_BACKEND", None)
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
    )
    subprocess.run([sys.executable, "-m", "tests.e2e.setup_data"], env=env, check=True, cwd=ROOT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "kefu.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("kefu did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    require("Chromium", found=os.access(CHROMIUM, os.X_OK), install="apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=CHROMIUM_ENV)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(locale: str = "zh-CN"):
        context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        c.close()


def login(page, server: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form and wait until the redirect has landed."""
    page.goto(f"{server}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def shoot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def mail_link(data_dir: Path, address: str, path_part: str) -> str:
    """The first link containing `path_part` in the newest mail to `address` (file email backend)."""
    found = ""
    outbox = data_dir / "outbox-mail"
    for log in sorted(outbox.glob("*.log"), key=lambda p: p.stat().st_mtime) if outbox.exists() else []:
        for raw in log.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip(), policy=policy.default)
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = next((url for url in re.findall(r"https?://\S+", body) if path_part in url), found)
    assert found, f"no mail with {path_part} to {address}"
    return found
