"""`Idempotency-Key` for API POSTs, and a short duplicate window for POSTs sent without one.

With a key: the first successful answer is stored in `IdempotencyRecord` (scope = the caller,
fingerprint = sha256 of method, path and body). A repeat with the same body gets the same
status and body back and changes nothing; the same key with another body is a 422; a repeat
that arrives while the first is still running waits briefly, then gets a 409 "in progress".
The unique (scope, key) constraint makes sure only one of concurrent requests does the work.
Failed requests (4xx) are not stored, so the client can fix the request and retry with the key.

Without a key: the same caller posting the same body to the same path within
`KEFU_API_DUPLICATE_WINDOW` seconds (10 by default) gets the first answer again instead of
creating a second ticket or message (a double-click, a flaky client retrying). The window is
claimed the same way, in the database — scope `window:<caller>`, the fingerprint as the key,
rows older than the window deleted first — so concurrent repeats make one, whatever the cache.

The caller is the authenticated user; an anonymous caller is its client address together with
the help centre's visitor cookie, so two visitors never get each other's answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import Status

from .clock import now
from .errors import Conflict, ValidationFailed
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_MAX = 255
WAIT_SECONDS = 3.0
# The help centre's anonymous visitor cookie (set by kefu.knowledge.bot_sessions); read, never set here.
VISITOR_COOKIE = "kefu_visitor"

Result = tuple[int, Any]


def fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n")
    try:
        digest.update(request.body)
    except RawPostDataException:  # multipart, already parsed into fields and files
        for name, values in sorted(request.POST.lists()):
            digest.update(f"{name}={values!r}\n".encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    return digest.hexdigest()


def _as_json(data: Any) -> Any:
    return data.model_dump(mode="json") if hasattr(data, "model_dump") else data


def _in_progress() -> Conflict:
    return Conflict(
        _("A request with this Idempotency-Key is still being processed. Retry in a moment."),
        code="idempotency_in_progress",
        field=HEADER,
    )


def _replay(scope: str, key: str, print_: str) -> Result:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None:  # the first request failed and gave the key back
            raise _in_progress()
        if record.fingerprint != print_:
            # 422 as the IETF Idempotency-Key draft and FAULTS A3 ask: the request is wrong, not racing
            raise ValidationFailed(
                _("This Idempotency-Key was already used with a different request."),
                code="idempotency_key_reused",
                field=HEADER,
            )
        if record.status_code is not None:
            return record.status_code, json.loads(record.response_body)
        if time.monotonic() > deadline:
            raise _in_progress()
        time.sleep(0.05)


def _with_key(scope: str, key: str, print_: str, run: Callable[[], Result]) -> Result:
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=print_)
    except IntegrityError:
        return _replay(scope, key, print_)
    try:
        status, data = run()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    data = _as_json(data)
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status, response_body=json.dumps(data, ensure_ascii=False)
    )
    return status, data


def _with_window(scope: str, print_: str, run: Callable[[], Result]) -> Result:
    window = getattr(settings, "KEFU_API_DUPLICATE_WINDOW", 10)
    claim = f"window:{scope}"
    IdempotencyRecord.objects.filter(
        scope=claim, key=print_, created_at__lt=now() - timedelta(seconds=window)
    ).delete()
    return _with_key(claim, print_, print_, run)


def scope_of(request: HttpRequest) -> str:
    """`api:<user id>`, or for an anonymous caller a digest of its address and visitor cookie."""
    user = getattr(request, "auth", None)
    pk = getattr(user, "pk", None)
    if pk:
        return f"api:{pk}"
    caller = f"{request.META.get('REMOTE_ADDR', '')}\n{request.COOKIES.get(VISITOR_COOKIE, '')}"
    return "api:anon:" + hashlib.sha256(caller.encode()).hexdigest()[:40]


def idempotent(view: Callable[..., Result]) -> Callable[..., Status]:
    """Wrap an API handler returning `(status, data)`; `request.auth` is the user."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Status:
        scope = scope_of(request)
        key = request.headers.get(HEADER, "").strip()
        if len(key) > KEY_MAX:
            raise ValidationFailed(
                _("Too long: %(n)d characters, at most %(max)d.") % {"n": len(key), "max": KEY_MAX},
                field=HEADER,
            )
        print_ = fingerprint(request)
        run = functools.partial(view, request, *args, **kwargs)
        status, data = _with_key(scope, key, print_, run) if key else _with_window(scope, print_, run)
        return Status(status, data)

    return wrapper


def purge_expired(*, older_than_hours: int = 24) -> int:
    """Forget keys older than the replay window (clients retry within minutes, not days)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now() - timedelta(hours=older_than_hours)
    ).delete()
    return deleted
