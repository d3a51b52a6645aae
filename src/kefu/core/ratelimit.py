"""Fixed-window rate limits shared by every web process.

A window is `limit` requests per `period` seconds, written "120/60". Each hit returns the
window's state so the API can send `RateLimit-*` headers; going over raises `RateLimited`
(429 with `Retry-After`).

The count must be atomic, or concurrent requests all read the same count and all pass: with
Redis (production) or memcached the cache counts (`add` + `incr` are single commands there);
any other cache — embedded mode's file cache reads, adds one and writes back — is not atomic,
so there the database counts, one `RateCounter` row per (bucket, window) raised by a single
`INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits` (PostgreSQL, SQLite ≥ 3.35).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from .clock import now
from .errors import DomainError
from .models import RateCounter

# Cache backends whose add/incr are atomic across processes.
ATOMIC_CACHES = ("RedisCache", "PyMemcacheCache", "PyLibMCCache")
BUCKET_MAX = 200
SWEEP_SECONDS = 60.0  # expired counter rows are deleted at most this often per process
_last_sweep = float("-inf")


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


def _cache_counts() -> bool:
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in ATOMIC_CACHES


def _count_in_cache(bucket: str, start: int, period: int) -> int:
    key = f"kefu:rl:{bucket}:{start}"
    cache.add(key, 0, timeout=period + 1)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        return 1


def _count_in_database(bucket: str, start: int, period: int, current: int) -> int:
    global _last_sweep
    if len(bucket) > BUCKET_MAX:  # e.g. an address nobody should type: keep it apart from others
        bucket = bucket[:100] + "#" + hashlib.sha256(bucket.encode()).hexdigest()
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    hits, bucket_col, start_col, expires_col = (
        quote(RateCounter._meta.get_field(name).column)
        for name in ("hits", "bucket", "window_start", "expires")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({bucket_col}, {start_col}, {hits}, {expires_col}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({bucket_col}, {start_col}) DO UPDATE SET {hits} = {table}.{hits} + 1 "
            f"RETURNING {hits}",
            [bucket, start, start + period],
        )
        count = int(cursor.fetchone()[0])
    if time.monotonic() - _last_sweep > SWEEP_SECONDS:
        _last_sweep = time.monotonic()
        RateCounter.objects.filter(expires__lt=current).delete()
    return count


def hit(bucket: str, rate: str) -> Window:
    """Count one request in `bucket`; raise RateLimited once the window is used up."""
    limit, period = parse_rate(rate)
    current = int(now().timestamp())
    start = current - current % period
    reset = start + period - current
    if _cache_counts():
        count = _count_in_cache(bucket, start, period)
    else:
        count = _count_in_database(bucket, start, period, current)
    window = Window(limit=limit, remaining=max(0, limit - count), reset=max(1, reset))
    if count > limit:
        raise RateLimited(window)
    return window
