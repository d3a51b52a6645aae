"""IMAP passwords: read from a `*_FILE` path, or stored encrypted with a key derived from SECRET_KEY.

Fernet (the `cryptography` package) with a key derived by HKDF-like hashing of SECRET_KEY; a
changed SECRET_KEY makes stored passwords unreadable (the admin re-enters them), never wrong.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .models import Mailbox


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"kefu.mail.imap-password\x00" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode() if password else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def imap_password(mailbox: Mailbox) -> str:
    if mailbox.imap_password_file:
        return Path(mailbox.imap_password_file).read_text(encoding="utf-8").strip()
    return decrypt(mailbox.imap_password_encrypted)
