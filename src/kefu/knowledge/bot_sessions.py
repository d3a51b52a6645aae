"""Whose bot conversation is this? (FAULTS A2, D2, X2)

A conversation's key is made by kefu (`secrets`, never chosen by the caller) and is stored on each
`BotQuestion` with its owner: a signed-in user (``u:<user id>`` — a customer, or whoever owns the
API token) or an anonymous visitor (``v:<visitor id>``, from the help centre's signed visitor
cookie). The caller only ever holds a *token*: the key signed with Django's signing, salted with
the owner's name and stamped with the time. So a token that is unknown, forged, tampered with,
idle for longer than ``KEFU_KB_BOT_SESSION_SECONDS`` or presented by anyone but its owner simply
starts a new conversation — with no error that says which, and with none of the old context.

Every answer hands back the token re-signed, so a conversation stays alive while it is used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from .models import BotQuestion

SESSION_SECONDS = 24 * 3600  # idle time after which a conversation is over
KEY_PREFIX = "kb-"
TOKEN_MAX = 200  # what the API accepts in `session` (a token is about 90 characters)
VISITOR_COOKIE = "kefu_visitor"
VISITOR_SECONDS = 30 * 24 * 3600
_VISITOR_SALT = "kefu.knowledge.visitor"
_SESSION_SALT = "kefu.knowledge.bot-session"


@dataclass(frozen=True)
class BotSession:
    key: str  # stored on BotQuestion.session; never shown to the caller on its own
    token: str  # what the caller sends back next time: the key signed for its owner
    owner: str
    fresh: bool


def owner_of(user: Any, *, visitor: str = "") -> str:
    """``u:<id>`` for a signed-in user (browser session or API token), ``v:<id>`` for a visitor."""
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
        return f"u:{user.pk}"
    return f"v:{visitor}" if visitor else ""


def _signer(owner: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{_SESSION_SALT}:{owner}")


def _idle_seconds() -> int:
    return int(getattr(settings, "KEFU_KB_BOT_SESSION_SECONDS", SESSION_SECONDS))


def start(owner: str) -> BotSession:
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    return BotSession(key=key, token=_signer(owner).sign(key), owner=owner, fresh=True)


def _unsign(token: str, owner: str) -> str | None:
    try:
        key = _signer(owner).unsign(token, max_age=_idle_seconds())
    except signing.BadSignature:  # also SignatureExpired
        return None
    return key if key.startswith(KEY_PREFIX) and len(key) <= 64 else None


def resume(token: Any, *, owner: str, adopt_from: str = "") -> BotSession:
    """The conversation `token` stands for, if it is a live one of `owner`; a fresh one otherwise.

    `adopt_from` is another owner the same caller has just proven to be — the visitor cookie of a
    browser that has signed in since: that visitor's conversation moves to the signed-in user, so
    "sign in, then talk to a person" hands over what was asked before signing in."""
    if not owner or not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return start(owner)
    key = _unsign(token, owner)
    if key is None and adopt_from.startswith("v:") and owner.startswith("u:"):
        key = _unsign(token, adopt_from)
        if key is not None:
            BotQuestion.objects.filter(session=key, owner=adopt_from).update(owner=owner)
    if key is None:
        return start(owner)
    return BotSession(key=key, token=_signer(owner).sign(key), owner=owner, fresh=False)


# --------------------------------------------------------------------------- the visitor cookie


def visitor_of(request: HttpRequest) -> str:
    """The id in the request's visitor cookie, if kefu signed it; '' otherwise."""
    value = request.get_signed_cookie(VISITOR_COOKIE, default="", salt=_VISITOR_SALT, max_age=VISITOR_SECONDS)
    return value if isinstance(value, str) and 16 <= len(value) <= 64 else ""


def new_visitor() -> str:
    return secrets.token_urlsafe(24)


def remember_visitor(request: HttpRequest, response: HttpResponse, visitor: str) -> None:
    """Set the visitor cookie on `response` unless the request already carries this visitor."""
    if not visitor or visitor_of(request) == visitor:
        return
    response.set_signed_cookie(
        VISITOR_COOKIE,
        visitor,
        salt=_VISITOR_SALT,
        max_age=VISITOR_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    )
