"""Fixed-window rate limits kept in the Django cache (shared by every web process).

A window is `limit` requests per `period` seconds, written "120/60". Each hit returns the
window's state so the API can send `RateLimit-*` headers; going over raises `RateLimited`
(429 with `Retry-After`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from .clock import now
from .errors import DomainError


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, window: Window):
        super().__init__(
            _("Too many requests. Try again in %(n)d seconds.") % {"n": window.reset},
            retry_after=window.reset,
        )
        self.window = window


def parse_rate(rate: str) -> tuple[int, int]:
    count, _sep, period = rate.partition("/")
    return int(count), int(period or 60)


def hit(bucket: str, rate: str) -> Window:
    """Count one request in `bucket`; raise RateLimited once the window is used up."""
    limit, period = parse_rate(rate)
    current = int(now().timestamp())
    start = current - current % period
    reset = start + period - current
    key = f"kefu:rl:{bucket}:{start}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    window = Window(limit=limit, remaining=max(0, limit - count), reset=max(1, reset))
    if count > limit:
        raise RateLimited(window)
    return window
