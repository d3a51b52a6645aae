"""A real `kefu web` (uvicorn) on a loopback port, in embedded mode: SQLite in WAL and the file
cache in its own data folder, configured from the environment like an operator would.

The folder is migrated and given personas once per session (`live_template`); each `serving()`
starts a server on a copy of it, so rate counters, lockouts and rows of one test never leak
into another. The server runs on the real clock: tests using it assert nothing about dates.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATA_DIR": str(data_dir), "KEFU_LANGUAGE": "en", **extra})
    return env


@dataclass
class Template:
    data_dir: Path
    agent_token: str
    customer_token: str
    ticket_id: int


@dataclass
class Server:
    host: str
    port: int
    data_dir: Path
    agent_token: str
    customer_token: str
    ticket_id: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)


@pytest.fixture(scope="session")
def live_template(tmp_path_factory) -> Template:
    data_dir = tmp_path_factory.mktemp("kefu-live-template")
    env = embedded_env(data_dir)
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
    )
    made = subprocess.run(
        [sys.executable, "-m", "tests.core.live_setup"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    shutil.rmtree(data_dir / "cache", ignore_errors=True)
    return Template(data_dir=data_dir, **ids)


@contextlib.contextmanager
def serving(template: Template, tmp_path: Path, **settings: str) -> Iterator[Server]:
    """`kefu web` on a copy of the template's folder, with `settings` as KEFU_* environment."""
    data_dir = tmp_path / f"kefu-live-{time.monotonic_ns()}"
    shutil.copytree(template.data_dir, data_dir)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kefu.cli",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=embedded_env(data_dir, **settings),
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"kefu web did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield Server(
            host="127.0.0.1",
            port=port,
            data_dir=data_dir,
            agent_token=template.agent_token,
            customer_token=template.customer_token,
            ticket_id=template.ticket_id,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response read off a raw socket."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body
