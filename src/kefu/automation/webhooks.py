"""Outgoing webhooks: an outbox with retries, signatures, a circuit breaker and an SSRF guard.

- A trigger's "call webhook" action only writes a `WebhookDelivery` row (the outbox); a task sends it
  after commit, and a periodic sweep retries what is due. The request that fired the trigger never
  waits for a receiver, and one slow receiver never holds up another (each send has its own timeouts).
- Each attempt has a total deadline (`KEFU_WEBHOOK_DEADLINE_SECONDS`, connect + send + the whole
  answer): a receiver that drips its answer a byte at a time is cut there, and a cut attempt is a
  failure ("deadline exceeded"), retried later, never a delivery.
- The send tasks run on their own queue (`webhooks`, see CELERY_TASK_ROUTES and ADR 0007), consumed
  by a worker of its own, so receivers cannot stall SLA, mail or notification work.
- Every attempt carries the same `X-Kefu-Delivery` id (receivers dedupe on it), a timestamp, and
  `X-Kefu-Signature: sha256=HMAC(secret, "<timestamp>.<body>")`.
- Failures back off exponentially with full jitter; after `CIRCUIT_FAILURES` consecutive failures the
  webhook's circuit opens for a while and admins are notified (the admin list shows it too).
- SSRF: the URL is checked when saved and again at every send. Every address the host resolves to
  must be public; the connection then goes to that vetted address (pinned, so DNS rebinding between
  the check and the connect cannot redirect it), and redirects are never followed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kefu.accounts.models import Role, User
from kefu.accounts.services import notify
from kefu.core.clock import now

from .errors import RuleInvalid, UnsafeUrl
from .models import DeliveryState, Webhook, WebhookDelivery

log = logging.getLogger("kefu.automation.webhooks")

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0  # seconds; attempt n waits up to base * 2**(n-1), capped
BACKOFF_CAP = 6 * 3600.0
CIRCUIT_FAILURES = 5
CIRCUIT_COOLDOWN = timedelta(minutes=10)
LEASE = timedelta(minutes=2)
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0  # per socket operation; the deadline below bounds the whole attempt
DEFAULT_DEADLINE = 30.0  # seconds; settings.KEFU_WEBHOOK_DEADLINE_SECONDS
MAX_RESPONSE = 64 * 1024
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


# --------------------------------------------------------------------------- SSRF guard


def _allowed_private() -> set[str]:
    """Test-only escape hatch: addresses a webhook may reach although they are not public (default none)."""
    return {str(a) for a in getattr(settings, "KEFU_WEBHOOK_ALLOWED_PRIVATE_IPS", [])}


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            return _public(mapped)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted IP the connection goes to


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The URL's vetted target, or UnsafeUrl with the reason (shown to the admin)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(_("Only http and https URLs are allowed."), field="url")
    if parts.username or parts.password:
        raise UnsafeUrl(_("User names and passwords in the URL are not allowed."), field="url")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeUrl(_("The URL has no host."), field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl(_("The URL has an invalid port."), field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    literal = None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if NUMERIC_HOST.match(host):
            # 2130706433, 0x7f000001, 0177.0.0.1, 127.1: all loopback to the C resolver.
            raise UnsafeUrl(
                _("Numeric host forms other than a plain IP address are not allowed."), field="url"
            )
    allowed = _allowed_private()
    if literal is not None:
        addresses = [literal]
    elif not resolve:
        return Target(parts.scheme, host, port, path, "")
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise UnsafeUrl(_("The host name %(host)s does not resolve.") % {"host": host[:100]}, field="url")
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for ip in addresses:
        if not _public(ip) and str(ip) not in allowed:
            raise UnsafeUrl(
                _(
                    "%(host)s points to a private or local address (%(ip)s); webhooks may only call public hosts."
                )
                % {"host": host[:100], "ip": str(ip)},
                field="url",
            )
    if not addresses:
        raise UnsafeUrl(_("The host name %(host)s does not resolve.") % {"host": host[:100]}, field="url")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


# --------------------------------------------------------------------------- signing


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


SECRET_MIN = 16
SECRET_MAX = 100  # the column's length
SECRET_HELP = _lazy("Leave blank to keep the current secret (a new webhook gets a random one).")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_secret(secret: str) -> str:
    """A signing secret a receiver can rely on: long enough not to be guessed, printable, no spaces."""
    secret = (secret or "").strip()
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not all(" " < c < "\x7f" for c in secret):
        raise RuleInvalid(
            _(
                "The signing secret must be %(min)d to %(max)d characters long, "
                "in printable ASCII without spaces."
            )
            % {"min": SECRET_MIN, "max": SECRET_MAX},
            field="secret",
        )
    return secret


# --------------------------------------------------------------------------- sending


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a pinned IP while checking the certificate against (and sending SNI for) the host name."""

    def __init__(self, address: str, host: str, port: int, **kw: Any):
        super().__init__(address, port, **kw)
        self._server_name = host

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


@dataclass
class Outcome:
    ok: bool
    status: int | None
    error: str


def deadline_seconds() -> float:
    """The longest one attempt may take, connect + send + reading the whole answer."""
    return float(getattr(settings, "KEFU_WEBHOOK_DEADLINE_SECONDS", DEFAULT_DEADLINE) or DEFAULT_DEADLINE)


def deadline_message(seconds: float) -> str:
    return _("deadline exceeded after %(seconds)s s") % {"seconds": f"{seconds:g}"}


def _post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """One attempt, cut at the deadline however slowly the receiver answers.

    A per-read socket timeout is not a deadline: a receiver sending one byte every few seconds
    never trips it. A timer shuts the socket down at the deadline (which unblocks a recv() or
    send() in progress), and an attempt the timer cut is a failure even if a 2xx status line had
    already arrived: a cut answer is not an answer.
    """
    deadline = deadline_seconds()
    started = time.monotonic()
    connect_timeout = min(CONNECT_TIMEOUT, deadline)
    if target.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
            target.address,
            target.host,
            target.port,
            timeout=connect_timeout,
            context=ssl.create_default_context(),
        )
    else:
        conn = http.client.HTTPConnection(target.address, target.port, timeout=connect_timeout)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    if ":" in target.host:
        host_header = f"[{target.host}]:{target.port}"
    cut = threading.Event()
    lock = threading.Lock()  # the timer and the closing below never touch the socket at once
    # The raw socket, kept here: once the status line says the server closes the connection
    # (HTTP/1.0), http.client hands the socket to the response and forgets it (conn.sock = None).
    opened: list[socket.socket] = []

    def abort() -> None:  # the deadline: unblock a recv() that keeps getting a byte at a time
        with lock:
            cut.set()
            for sock in opened:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def exceeded() -> bool:
        return cut.is_set() or time.monotonic() - started >= deadline

    watchdog = threading.Timer(deadline, abort)
    watchdog.daemon = True
    status: int | None = None
    error = ""
    try:
        watchdog.start()
        conn.connect()
        assert conn.sock is not None
        with lock:
            opened.append(conn.sock)
        if exceeded():  # the timer fired while connecting, before there was a socket to shut
            raise TimeoutError("deadline")
        conn.sock.settimeout(min(READ_TIMEOUT, deadline))
        conn.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host_header)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        status = response.status
        response.read(MAX_RESPONSE)
    except (OSError, http.client.HTTPException) as err:
        error = (type(err).__name__ + ": " + str(err))[:300]
    finally:
        watchdog.cancel()
        with lock:
            conn.close()
    if exceeded():
        return Outcome(False, status, deadline_message(deadline))
    if error:
        return Outcome(False, status, error)
    assert status is not None
    if 200 <= status < 300:
        return Outcome(True, status, "")
    if 300 <= status < 400:
        return Outcome(False, status, _("Redirect refused (HTTP %(status)d).") % {"status": status})
    return Outcome(False, status, f"HTTP {status}")


def backoff(attempts: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after the n-th failed attempt: exponential, capped, with full jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempts - 1, 0)))
    return (rng or random).uniform(ceiling / 2, ceiling)


# --------------------------------------------------------------------------- outbox


def payload_for(ticket: Any, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "channel": ticket.channel,
            "team": ticket.team.name if ticket.team_id else None,
            "assignee": ticket.assignee.username if ticket.assignee_id else None,
            "customer": {"name": ticket.customer.name, "tier": ticket.customer.tier},
            "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
        },
    }


def enqueue(webhook_id: int, *, ticket: Any, event: str) -> WebhookDelivery | None:
    """Put one delivery in the outbox and send it after commit (the sweep retries what is left)."""
    webhook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    if webhook is None:
        return None
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        delivery_id=str(uuid.uuid4()),
        ticket_id=ticket.pk,
        payload=payload_for(ticket, event),
        next_attempt_at=now(),
    )

    def _send() -> None:
        from .tasks import send_webhook

        try:
            send_webhook.delay(delivery.pk)
        except Exception:  # broker down: the sweep sends it
            log.warning("could not enqueue webhook delivery %s", delivery.pk, exc_info=True)

    transaction.on_commit(_send)
    return delivery


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Lease one due delivery (compare-and-set), so two workers never send it at the same time."""
    current = now()
    won = (
        WebhookDelivery.objects.filter(pk=delivery_id, next_attempt_at__lte=current)
        .filter(Q(state=DeliveryState.PENDING) | Q(state=DeliveryState.SENDING, lease_until__lt=current))
        .update(state=DeliveryState.SENDING, lease_until=current + LEASE, attempts=F("attempts") + 1)
    )
    if not won:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def _admins() -> list[User]:
    return list(User.objects.filter(role__in=[Role.ADMIN, Role.SUPERVISOR], is_active=True))


def send(delivery_id: int) -> str:
    """Attempt one delivery if it is due and not leased; returns its state afterwards."""
    delivery = _claim(delivery_id)
    if delivery is None:
        row = WebhookDelivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
        return row or "missing"
    webhook = delivery.webhook
    current = now()
    if not webhook.active:
        _finish(delivery, Outcome(False, None, _("The webhook is disabled.")), final=True)
        return DeliveryState.FAILED
    if webhook.circuit_open_until and webhook.circuit_open_until > current:
        # Circuit open: wait for the cool-down without spending an attempt.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING,
            lease_until=None,
            attempts=F("attempts") - 1,
            next_attempt_at=webhook.circuit_open_until,
        )
        return DeliveryState.PENDING
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "kefu-webhook/1",
        "X-Kefu-Delivery": delivery.delivery_id,
        "X-Kefu-Timestamp": timestamp,
        "X-Kefu-Signature": sign(webhook.secret, timestamp, body),
    }
    try:
        target = check_url(webhook.url)  # again at send: DNS may have changed since the save
    except UnsafeUrl as err:
        outcome = Outcome(False, None, err.message)
        _finish(delivery, outcome, final=True)
        _record_failure(webhook, outcome.error)
        return DeliveryState.FAILED
    outcome = _post(target, body, headers)
    _finish(delivery, outcome, final=outcome.ok or delivery.attempts >= MAX_ATTEMPTS)
    if outcome.ok:
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0, circuit_open_until=None)
        return DeliveryState.DELIVERED
    _record_failure(webhook, outcome.error)
    return DeliveryState.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryState.PENDING


def _finish(delivery: WebhookDelivery, outcome: Outcome, *, final: bool) -> None:
    current = now()
    fields: dict[str, Any] = {"lease_until": None, "last_status": outcome.status, "last_error": outcome.error}
    if outcome.ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=current)
    elif final:
        fields.update(state=DeliveryState.FAILED)
    else:
        fields.update(
            state=DeliveryState.PENDING,
            next_attempt_at=current + timedelta(seconds=backoff(delivery.attempts)),
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)


def _record_failure(webhook: Webhook, error: str) -> None:
    Webhook.objects.filter(pk=webhook.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=error[:300]
    )
    failures = (
        Webhook.objects.filter(pk=webhook.pk).values_list("consecutive_failures", flat=True).first() or 0
    )
    if failures >= CIRCUIT_FAILURES:
        until = now() + CIRCUIT_COOLDOWN
        opened = (
            Webhook.objects.filter(pk=webhook.pk)
            .filter(Q(circuit_open_until__isnull=True) | Q(circuit_open_until__lt=now()))
            .update(circuit_open_until=until)
        )
        if opened:
            log.warning("webhook %s circuit open after %d failures: %s", webhook.pk, failures, error)
            notify(
                _admins(),
                kind="webhook_circuit",
                text=_("Webhook %(name)s is paused after %(n)d failed deliveries: %(error)s")
                % {"name": webhook.name, "n": failures, "error": error[:120]},
                url="/agent/automation/webhooks/",
                dedupe_key=f"webhook-circuit:{webhook.pk}:{until:%Y%m%d%H%M}",
            )


def sweep(*, limit: int = 100) -> int:
    """Send every due delivery (pending, or leased by a worker that died); safe on many workers."""
    current = now()
    due = list(
        WebhookDelivery.objects.filter(next_attempt_at__lte=current)
        .filter(Q(state=DeliveryState.PENDING) | Q(state=DeliveryState.SENDING, lease_until__lt=current))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        if send(pk) == DeliveryState.DELIVERED:
            sent += 1
    return sent
