"""A worker that never stalls (issue 13 item 7, FAULTS A6): in `kefu up`, a webhook receiver that
hangs holds only the webhooks worker; an SLA sweep and a mail task enqueued afterwards still run at once.

A real `kefu up` in an empty folder (embedded mode: SQLite, the SQLite broker), a real receiver on a
loopback port that keeps the delivery hanging until the test lets it answer.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kefu.celery import app

from .test_up import _free_port, _healthy, _wait, _zombie

# The subprocesses' settings: kefu's own, plus the test-only loopback exception of the SSRF guard
# (which is deliberately not read from the environment).
SETTINGS = """\
from kefu.settings import *  # noqa: F403

KEFU_WEBHOOK_ALLOWED_PRIVATE_IPS = ["127.0.0.1"]
KEFU_WEBHOOK_DEADLINE_SECONDS = 120.0
"""

ENQUEUE = """\
from kefu.automation.models import Webhook, WebhookDelivery
from kefu.automation.tasks import send_webhook
from kefu.core.clock import now

hook = Webhook.objects.create(name="慢接收方", url="{url}", secret="s" * 32)
delivery = WebhookDelivery.objects.create(
    webhook=hook, delivery_id="d-1", payload={{"event": "created"}}, next_attempt_at=now()
)
send_webhook.delay(delivery.pk)
print("enqueued", delivery.pk)
"""


class HangingReceiver:
    """Takes the request, then drips its answer one byte a second (so no single read times out)
    and completes it only when `release` is set."""

    def __init__(self):
        self.requests: list[str] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(self.headers.get("X-Kefu-Delivery", ""))
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Wait: ")
                deadline = time.monotonic() + 90
                while not receiver.release.wait(1) and time.monotonic() < deadline:
                    self.wfile.write(b"a")
                    self.wfile.flush()
                self.wfile.write(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _succeeded(log, task: str) -> list[str]:
    return re.findall(re.escape(task) + r"\[[0-9a-f-]+\] succeeded in [0-9.]+s: (.*)", log.read_text())


@pytest.mark.fault("A6")
def test_a_hanging_webhook_receiver_does_not_hold_up_sla_and_mail_work_in_kefu_up(tmp_path):
    receiver = HangingReceiver()
    port = _free_port()
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "hooks_settings.py").write_text(SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}  # embedded mode, own folder
    env.update(DJANGO_SETTINGS_MODULE="hooks_settings", PYTHONPATH=str(tmp_path / "conf"))
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        parent = subprocess.Popen(
            [sys.executable, "-m", "kefu.cli", "up", "--port", str(port), "--no-demo", "--mail-port", "0"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _wait(lambda: _healthy(port), 120), log.read_text()
        assert _wait(lambda: " ready." in log.read_text(), 60), log.read_text()
        # Let the webhooks worker (when there is one) declare its queue before a task is sent to it:
        # kombu's SQLAlchemy transport creates the queue's row without a retry (see test_up.py).
        _wait(lambda: log.read_text().count(" ready.") >= 2, 20)

        # A webhook delivery goes out through the real code path and its receiver hangs.
        shell = subprocess.run(
            [sys.executable, "-m", "kefu.cli", "shell", "-c", ENQUEUE.format(url=receiver.url)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "enqueued" in shell.stdout, shell.stdout + shell.stderr
        assert _wait(lambda: receiver.requests == ["d-1"], 30), log.read_text()

        # Enqueued afterwards, while the receiver still hangs: an SLA sweep and a mail task run at once.
        broker = f"sqla+sqlite:///{tmp_path / 'var' / 'celery-broker.sqlite3'}"
        enqueued = time.monotonic()
        with app.connection_for_write(broker) as conn:
            sla = app.send_task("kefu.sla.tasks.sweep", connection=conn, queue="celery")
            mail = app.send_task("kefu.mail.tasks.send_due_mail", connection=conn, queue="celery")
        for result in (sla, mail):
            assert _wait(lambda r=result: f"{r.id}] succeeded" in log.read_text(), 15), log.read_text()
        assert time.monotonic() - enqueued < 15
        assert not receiver.release.is_set() and not _succeeded(log, "kefu.automation.tasks.send_webhook")

        # Once the receiver answers, the delivery is delivered (once) by the webhooks worker.
        receiver.release.set()
        assert _wait(lambda: "'delivered'" in _succeeded(log, "kefu.automation.tasks.send_webhook"), 30), (
            log.read_text()
        )
        assert receiver.requests == ["d-1"]

        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 3  # web + default worker (with beat) + webhooks worker
        parent.send_signal(signal.SIGINT)
        assert parent.wait(timeout=30) == 0
        for pid in children:
            assert _wait(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or _zombie(pid), 15), pid
    finally:
        receiver.close()
        if parent.poll() is None:
            parent.send_signal(signal.SIGINT)
            try:
                parent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                parent.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
