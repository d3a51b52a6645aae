"""Request body limits at the ASGI layer, before anything reads the body (issue 13, FAULTS A1).

Django's ASGI handler reads a whole request body into a spooled file before any Django middleware
runs: a limit checked there answers a 300 MB upload only after it is on disk, and a client that
announces a body and sends nothing holds its connection (and a file) forever. `BodyLimits` wraps
the ASGI application and, for every HTTP route:

- answers a `Content-Length` over the limit with 413 at once, without reading a byte of the body;
- counts the bytes of a body as they arrive (chunked or streamed) and cuts it at the limit with 413;
- answers 408 when the body stalls (no bytes for `KEFU_BODY_TIMEOUT_SECONDS`) or is not complete
  within `KEFU_BODY_TOTAL_SECONDS`.

The limit is `KEFU_MAX_REQUEST_BYTES`, and `KEFU_MAX_JSON_BYTES` for JSON sent to `/api/`. The
answer is `{code, message}` JSON for the API (or a client that accepts JSON), plain text otherwise,
in the client's language, and closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DISCONNECT: Message = {"type": "http.disconnect"}


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", ())}


def limit_for(scope: Scope, headers: dict[bytes, bytes]) -> int:
    limit = int(getattr(settings, "KEFU_MAX_REQUEST_BYTES", 30 * 1024 * 1024))
    if scope.get("path", "").startswith("/api/") and b"json" in headers.get(b"content-type", b""):
        limit = min(limit, int(getattr(settings, "KEFU_MAX_JSON_BYTES", limit)))
    return limit


def _language(headers: dict[bytes, bytes]) -> str:
    """The language LocaleMiddleware would pick: the language cookie, then Accept-Language."""
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header must not turn a 413 into a 500
        cookie = SimpleCookie()
    chosen = cookie.get(settings.LANGUAGE_COOKIE_NAME)
    candidates = [chosen.value] if chosen else []
    accept = headers.get(b"accept-language", b"").decode("latin-1")[:500]
    candidates += [part.split(";")[0].strip() for part in accept.split(",") if part.strip()]
    for code in candidates:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


async def answer(send: Send, scope: Scope, status: int, code: str, message: Callable[[], str]) -> None:
    """Send a complete short answer and ask the server to close the connection."""
    headers = _headers(scope)
    with translation.override(_language(headers)):
        text = str(message())
    wants_json = scope.get("path", "").startswith("/api/") or b"json" in headers.get(b"accept", b"")
    if wants_json:
        body = json.dumps({"code": code, "message": text}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        body = text.encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def too_large(limit: int) -> Callable[[], str]:
    return lambda: _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit}


def too_slow(seconds: float) -> Callable[[], str]:
    return lambda: (
        _("The request body took longer than %(seconds)s seconds to arrive.") % {"seconds": f"{seconds:g}"}
    )


def stalled(seconds: float) -> Callable[[], str]:
    return lambda: (
        _("The request body stalled: nothing arrived for %(seconds)s seconds.") % {"seconds": f"{seconds:g}"}
    )


class _Body:
    """The receive/send pair the application sees: counts and times the body, cuts it off."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, *, limit: int):
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit = limit
        self.idle = float(getattr(settings, "KEFU_BODY_TIMEOUT_SECONDS", 20.0))
        self.total = float(getattr(settings, "KEFU_BODY_TOTAL_SECONDS", 300.0))
        self.deadline = time.monotonic() + self.total
        self.received = 0
        self.complete = False  # the whole body is in: from now on receive() only waits for a disconnect
        self.refused = False  # we answered; the application's own answer is dropped
        self.started = False  # the application began its answer

    async def receive(self) -> Message:
        if self.refused:
            return DISCONNECT
        if self.complete:
            return await self._receive()
        left = self.deadline - time.monotonic()
        wait = min(self.idle, left)
        try:
            message = await asyncio.wait_for(self._receive(), timeout=max(wait, 0.0))
        except TimeoutError:
            text = too_slow(self.total) if left <= self.idle else stalled(self.idle)
            await self.refuse(408, "request_timeout", text)
            return DISCONNECT
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                await self.refuse(413, "too_large", too_large(self.limit))
                return DISCONNECT
            if not message.get("more_body", False):
                self.complete = True
        else:  # the client went away
            self.complete = True
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(self, status: int, code: str, text: Callable[[], str]) -> None:
        self.refused = True
        if not self.started:  # an answer already under way cannot be replaced; the cut ends it
            await answer(self._send, self.scope, status, code, text)


class BodyLimits:
    """ASGI middleware: request body size and time limits for every HTTP route."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        limit = limit_for(scope, headers)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length > limit:
                await answer(send, scope, 413, "too_large", too_large(limit))
                return
        body = _Body(scope, receive, send, limit=limit)
        await self.app(scope, body.receive, body.send)
