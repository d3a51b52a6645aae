"""`kefu up` for real: an empty folder, the web server, the Celery worker on the SQLite broker, Ctrl-C
(while starting and while running)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from kefu.celery import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _links(outbox, part: str) -> list[str]:
    mail = "".join(path.read_text(errors="replace") for path in outbox.iterdir()) if outbox.exists() else ""
    return re.findall(r"https?://[^\s]+" + re.escape(part) + r"[^\s]*", mail)


def _post_form(browser: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    form = browser.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return browser.post(str(form.url), data={"csrfmiddlewaretoken": token, **data})


def _accounts_by_mail(port: int, outbox) -> None:
    """Sign up and reset a password through the mails this kefu sends: the links point at its own
    port, and the reset mail is sent by the worker of `kefu up` (the request only queues it)."""
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser:
        sent = _post_form(browser, "/portal/signup/", {"name": "新客户", "email": "new@example.cn"})
        assert sent.status_code == 200, sent.text
        [link] = _links(outbox, "/portal/signup/confirm/")
        assert link.startswith(f"{base}/portal/signup/confirm/")
        done = _post_form(browser, link, {"password": "first-pass-2026", "repeat": "first-pass-2026"})
        assert done.url.path == "/portal/"
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser:
        asked = _post_form(browser, "/accounts/password/forgot/", {"email": "new@example.cn"})
        assert asked.url.path == "/accounts/password/forgot/sent/"
        assert _wait(lambda: _links(outbox, "/accounts/password/reset/"), 60)
        [link] = _links(outbox, "/accounts/password/reset/")
        assert link.startswith(base)
        saved = _post_form(
            browser, link, {"new_password1": "second-pass-2026", "new_password2": "second-pass-2026"}
        )
        assert saved.url.path == "/accounts/password/reset/done/"
        logged_in = _post_form(
            browser, "/accounts/login/", {"username": "new@example.cn", "password": "second-pass-2026"}
        )
        assert logged_in.url.path == "/portal/"


def _start_up(tmp_path, log, port: int, mail_port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}  # embedded mode, own folder
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kefu.cli",
                "up",
                "--port",
                str(port),
                "--no-demo",
                "--mail-port",
                str(mail_port),
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal gives a command
        )


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for child in subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
        ).stdout.split()
    ]


def _ctrl_c(parent: subprocess.Popen, log) -> None:
    """Ctrl-C in a terminal: SIGINT to the whole foreground process group. Everything stops, quietly:
    exit 0, no traceback from any child, no process left (a child's own children included)."""
    children = _children(parent.pid)
    os.killpg(parent.pid, signal.SIGINT)
    assert parent.wait(timeout=30) == 0, log.read_text()
    for pid in children:
        assert _wait(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or _zombie(pid), 15), pid
        assert _wait(lambda pid=pid: not _group_alive(pid), 15), f"process group {pid} left running"
    text = log.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_up_serves_runs_tasks_and_stops_everything_on_ctrl_c(tmp_path):
    port, mail_port = _free_port(), _free_port()
    log = tmp_path / "up.log"
    early = tmp_path / "up-early.log"

    # Ctrl-C while the processes are still starting (importing Django, Celery…) stops them quietly
    # too: a child interrupted in the middle of an import used to print a KeyboardInterrupt traceback.
    parent = _start_up(tmp_path, early, port, mail_port)
    try:
        assert _wait(lambda: _children(parent.pid), 180), early.read_text()
        time.sleep(0.5)
        _ctrl_c(parent, early)
    finally:
        _stop(parent)

    parent = _start_up(tmp_path, log, port, mail_port)
    try:
        assert _wait(lambda: _healthy(port), 180), log.read_text()  # generous: CI machines are busy
        assert (tmp_path / "var" / "kefu.sqlite3").exists()
        assert f"http://127.0.0.1:{port}" in log.read_text()

        # A task enqueued on the embedded broker is executed by the worker of `kefu up`.
        # The worker declares its queue on the embedded broker when it starts; kombu's SQLAlchemy
        # transport creates that row without a retry, so a second producer racing it fails once.
        assert _wait(lambda: " ready." in log.read_text(), 120), log.read_text()
        broker = f"sqla+sqlite:///{tmp_path / 'var' / 'celery-broker.sqlite3'}"
        with app.connection_for_write(broker) as conn:
            result = app.send_task("kefu.core.tasks.handle_event", args=[0], connection=conn)
        assert _wait(lambda: f"{result.id}] succeeded" in log.read_text(), 60), log.read_text()
        assert "beat: Starting" in log.read_text()
        _accounts_by_mail(port, tmp_path / "var" / "outbox-mail")

        # The mail receiver answers SMTP (no mailbox yet without the demo, so a recipient gets 550).
        assert _wait(lambda: _smtp_answers(mail_port), 30), log.read_text()

        # web + worker (with its embedded beat) + webhooks worker + mail receiver
        assert len(_children(parent.pid)) == 4
        _ctrl_c(parent, log)
    finally:
        _stop(parent)


def _stop(parent: subprocess.Popen) -> None:
    """After a failed test: stop `kefu up` and whatever is left of its children."""
    children = _children(parent.pid)
    if parent.poll() is None:
        parent.send_signal(signal.SIGINT)
        try:
            parent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            parent.kill()
    for group in (parent.pid, *children):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def _smtp_answers(port: int) -> bool:
    import smtplib

    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.ehlo()
            client.mail("someone@example.cn")
            code, _text = client.rcpt("nobody@example.invalid")
            return code == 550
    except OSError:
        return False
