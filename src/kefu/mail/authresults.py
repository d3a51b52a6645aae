"""Sender authentication from the receiving MTA's `Authentication-Results` header (RFC 8601).

kefu does not verify DKIM/SPF itself: the MTA in front of it does, and writes its verdict into an
`Authentication-Results` header headed by its own authserv-id. Anyone can write such a header into
a mail, so only the topmost one (the last hop, our MTA) is read, and only when its authserv-id is
one the admin listed in `KEFU_MAIL_TRUSTED_AUTHSERV_IDS`; with none listed, nothing is judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$", re.I | re.S)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*([^\s;]+)", re.I)


def results(value: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """(authserv-id, {method: (result, properties)}) of one header value; ("", {}) if unreadable."""
    text = value or ""
    for _ in range(3):  # comments may nest a little: "(p=reject (strict))"
        text = _COMMENT.sub(" ", text)
    parts = text.split(";")
    authserv = parts[0].strip().split()[0].lower() if parts[0].strip() else ""
    found: dict[str, tuple[str, str]] = {}
    for part in parts[1:]:
        match = _RESULT.match(part)
        if match:
            found.setdefault(match.group(1).lower(), (match.group(2).lower(), match.group(3)))
    return authserv, found


def dmarc_failure(header: str, trusted: Iterable[str]) -> str:
    """Why the mail's From cannot be trusted (DMARC failed at our MTA), or "" when it can or the
    header is not from a trusted authserv-id."""
    trusted_ids = {t.strip().lower() for t in trusted if t and t.strip()}
    if not header or not trusted_ids:
        return ""
    authserv, found = results(header)
    if authserv not in trusted_ids or "dmarc" not in found:
        return ""
    result, props = found["dmarc"]
    if result != "fail":
        return ""
    domain = _HEADER_FROM.search(props)
    where = f" for {domain.group(1).lower()}" if domain else ""
    return f"sender not authenticated: DMARC fail{where} at {authserv}"
