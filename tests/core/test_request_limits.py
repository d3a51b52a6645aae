"""Request body limits at the ASGI layer, against a real `kefu web` over raw sockets (issue 13
item 5, FAULTS A1): an oversized Content-Length is refused before the client sends the body, a
streamed body is cut at the limit, a stalled body gets 408, and ordinary requests still work."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.core.live import live_template, read_response, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault("A1")

LIMIT = 1_000_000
IDLE = 1.0
TOTAL = 3.0


@pytest.fixture(scope="module")
def server(live_template, tmp_path_factory):  # noqa: F811
    with serving(
        live_template,
        tmp_path_factory.mktemp("limits"),
        KEFU_MAX_REQUEST_BYTES=str(LIMIT),
        KEFU_MAX_JSON_BYTES=str(LIMIT // 2),
        KEFU_BODY_TIMEOUT_SECONDS=str(IDLE),
        KEFU_BODY_TOTAL_SECONDS=str(TOTAL),
    ) as running:
        yield running


def head(method: str, path: str, *headers: str) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/tickets", "application/json"), ("/accounts/login/", "application/x-www-form-urlencoded")],
)
def test_an_oversized_content_length_is_refused_before_the_body_is_sent(server, path, content_type):
    with server.connect() as sock:
        # Only the headers: a server that waits for the 999,999,999 announced bytes never answers.
        sock.sendall(head("POST", path, f"Content-Type: {content_type}", "Content-Length: 999999999"))
        status, headers, body = read_response(sock, timeout=5)
    assert status == 413
    assert headers["connection"] == "close"
    if path.startswith("/api/"):
        assert json.loads(body)["code"] == "too_large"
    else:
        assert headers["content-type"].startswith("text/plain")
        assert str(LIMIT).encode() in body


def test_the_refusal_speaks_the_clients_language(server):
    with server.connect() as sock:
        sock.sendall(
            head(
                "POST",
                "/api/tickets",
                "Accept-Language: zh-CN,zh;q=0.9",
                "Content-Type: application/json",
                "Content-Length: 5000000",
            )
        )
        status, _headers, body = read_response(sock, timeout=5)
    assert status == 413
    assert json.loads(body)["message"] == f"请求内容超过了 {LIMIT // 2} 字节的上限。"


def test_a_chunked_body_is_cut_at_the_limit(server):
    sent = 0
    answer = {}
    with server.connect() as sock:
        sock.sendall(
            head(
                "POST",
                "/accounts/login/",
                "Content-Type: application/x-www-form-urlencoded",
                "Transfer-Encoding: chunked",
            )
        )

        def read():
            try:
                answer["response"] = read_response(sock, timeout=10)
            except OSError as error:
                answer["response"] = error

        reader = threading.Thread(target=read)
        reader.start()
        chunk = b"a" * 65536
        try:
            for _ in range(20 * LIMIT // len(chunk)):  # 20 × the limit, if the server let us
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:  # the server closed the connection after its 413
            pass
        reader.join()
    status, _headers, body = answer["response"]
    assert status == 413
    assert b"larger than the limit" in body
    assert sent < 20 * LIMIT


def test_a_stalled_body_gets_408_within_the_timeout(server):
    with server.connect() as sock:
        sock.sendall(
            head("POST", "/api/tickets", "Content-Type: application/json", "Content-Length: 100") + b'{"su'
        )
        started = time.monotonic()
        status, _headers, body = read_response(sock, timeout=IDLE + 5)
        waited = time.monotonic() - started
    assert status == 408
    assert json.loads(body)["code"] == "request_timeout"
    assert IDLE * 0.9 <= waited < IDLE + 2


def test_a_body_dripping_in_gets_408_at_the_total_deadline(server):
    with server.connect() as sock:
        sock.sendall(head("POST", "/accounts/login/", "Content-Length: 100000"))
        started = time.monotonic()
        try:
            while time.monotonic() - started < TOTAL + 5:  # a byte every 0.3 s never stalls for IDLE
                sock.sendall(b"a")
                time.sleep(0.3)
        except OSError:
            pass
        status, _headers, body = read_response(sock, timeout=5)
        waited = time.monotonic() - started
    assert status == 408
    assert b"took longer than 3 seconds" in body
    assert waited < TOTAL + 2


def test_ordinary_requests_still_work(server):
    payload = json.dumps({"subject": "发票", "body": "请开具发票。"}, ensure_ascii=False).encode()
    auth = f"Authorization: Bearer {server.customer_token}"
    with server.connect() as sock:
        sock.sendall(
            head(
                "POST",
                "/api/tickets",
                auth,
                "Content-Type: application/json",
                f"Content-Length: {len(payload)}",
            )
            + payload
        )
        status, _headers, body = read_response(sock, timeout=30)
    assert status == 201, body
    assert json.loads(body)["subject"] == "发票"
    # The same in chunks, split inside a multi-byte character.
    with server.connect() as sock:
        sock.sendall(
            head("POST", "/api/tickets", auth, "Content-Type: application/json", "Transfer-Encoding: chunked")
        )
        for part in (payload[:10], payload[10:]):
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            time.sleep(0.2)
        sock.sendall(b"0\r\n\r\n")
        status, _headers, body = read_response(sock, timeout=30)
    assert status == 201, body
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(head("GET", "/healthz"))
        assert read_response(sock, timeout=10)[0] == 200
