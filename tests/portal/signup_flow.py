"""Following a sign-up mail the way a customer does: open the link, choose the password."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def link_in(message, kind: str = "signup/confirm") -> str:
    """The path of the first link of `kind` in a mail's text."""
    links = [url for url in re.findall(r"https?://\S+", message.body) if kind in url]
    assert links, message.body
    return urlsplit(links[0]).path


def finish_sign_up(client, outbox, *, password: str, repeat: str | None = None):
    path = link_in(outbox[-1])
    assert client.get(path).status_code == 200
    return client.post(path, {"password": password, "repeat": password if repeat is None else repeat})
