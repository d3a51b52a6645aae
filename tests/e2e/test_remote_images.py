"""The original of an HTML mail in Chromium: remote images stay blocked (no request leaves the
browser) until the agent clicks "Show remote images", and then they really load (issue 13 item 8:
the button did nothing, the page's CSP blocked the images; FAULTS E9)."""

from __future__ import annotations

import os
import secrets
import struct
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, login

pytestmark = [pytest.mark.e2e, pytest.mark.fault("E9")]
WAIT = 10_000  # ms


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def image_host():
    """A web server on loopback standing for the sender's image host; it notes every request."""
    seen: list[str] = []
    banner = _png(120, 40)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's hook name)
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(banner)))
            self.end_headers()
            self.wfile.write(banner)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def _kefu(data_dir, *args: str) -> str:
    """Run `kefu …` against the e2e server's data, like an operator on that machine."""
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LANGUAGE": "zh-hans"}
    for name in ("KEFU_DATABASE_URL", "KEFU_REDIS_URL", "KEFU_EMAIL_BACKEND"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_remote_images_load_only_after_the_agent_asks(server, new_page, data_dir, image_host, tmp_path):
    host, seen = image_host
    tag = secrets.token_hex(4)
    eml = tmp_path / "newsletter.eml"
    eml.write_bytes(
        (
            "From: 云杉商城 <news@shop.example>\r\nTo: service@yunshan.example\r\n"
            f"Subject: =?utf-8?B?5paw5ZOB5LiK5biC?= {tag}\r\nMessage-ID: <{tag}@shop.example>\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            f'<p>新品上市</p><img src="{host}/banner-{tag}.png" alt="banner-{tag}" width="120" height="40">'
            f'<img src="{host}/track-{tag}.gif" onerror="document.title=\'x\'">'
        ).encode()
    )
    _kefu(data_dir, "mail", "import", str(eml))
    found = _kefu(
        data_dir,
        "shell",
        "-c",
        "from kefu.mail.models import InboundMail; "
        f"print('mail', InboundMail.objects.get(message_id='{tag}@shop.example').pk)",
    )
    mail_id = found.split("mail ", 1)[1].split()[0]

    page = new_page()
    login(page, server, "lead_zhao")
    page.goto(f"{server}/agent/mail/mails/{mail_id}/")
    expect(page.get_by_test_id("mail-html")).to_contain_text("新品上市", timeout=WAIT)
    button = page.get_by_test_id("show-images")
    expect(button).to_be_visible()
    expect(page.locator(f'img[src*="{host}"]')).to_have_count(0)  # the address was taken out
    page.wait_for_timeout(500)
    assert not [path for path in seen if tag in path]  # nothing left the browser: no tracking

    with page.expect_navigation():
        button.click()
    banner = page.locator(f"img[alt=banner-{tag}]")
    expect(banner).to_be_visible(timeout=WAIT)
    for _ in range(100):  # loaded and decoded (a blocked image stays 0 × 0)
        if banner.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    assert banner.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [120, 40]
    assert f"/banner-{tag}.png" in seen
    assert page.title() != "x"  # the handler was stripped, and no script runs
