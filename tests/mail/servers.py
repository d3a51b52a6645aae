"""Real servers for the mail tests: a throwaway Dovecot (IMAP) and an aiosmtpd SMTP sink."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Dovecot:
    """Dovecot on a loopback port, plaintext login (loopback only), Maildir in a temp dir."""

    def __init__(self, users: dict[str, str]):
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-dovecot-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            internal, login, internal_group = "dovecot", "dovenull", "dovecot"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = mail_user.pw_name
            internal_group = grp.getgrgid(mail_user.pw_gid).gr_name
        (self.dir / "mail").mkdir()
        os.chown(self.dir / "mail", mail_user.pw_uid, mail_user.pw_gid)
        (self.dir / "users").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items()))
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.dir}/mail/%u
first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={self.dir}/mail/%u
}}
"""
        )

    def start(self) -> Dovecot:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_port(self.port)
        except RuntimeError:
            self.process.terminate()
            raise RuntimeError(
                (self.dir / "dovecot.log").read_text() if (self.dir / "dovecot.log").exists() else ""
            )
        return self

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
