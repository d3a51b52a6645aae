"""Rate limits count atomically on every backend kefu runs with (issue 13 item 8, FAULTS A4):
in embedded mode (file cache) concurrent requests on one token used to all pass."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from kefu.core.models import RateCounter
from kefu.core.ratelimit import RateLimited, hit
from tests.core.live import live_template, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault("A4")

# A window far longer than the test (epoch-aligned, next boundary in 2033): no burst straddles two.
FOREVER = 1_000_000_000


@pytest.fixture
def embedded_cache(settings, tmp_path):
    """The cache of embedded mode: Django's file cache, whose add/incr read and write files."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_let_exactly_the_limit_through(embedded_cache):
    # SQLite's in-memory test database refuses concurrent writers (kefu's WAL file queues them:
    # the real-server test below covers it); PostgreSQL takes them all at once.
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(30 if concurrent else 1)
    turn = contextlib.nullcontext() if concurrent else threading.Lock()

    def one() -> bool:
        with turn:
            barrier.wait()
            try:
                hit("user:42", f"10/{FOREVER}")
                return True
            except RateLimited as limited:
                assert limited.window.remaining == 0
                return False
            finally:
                connection.close()

    with ThreadPoolExecutor(30) as pool:
        passed = list(pool.map(lambda _i: one(), range(30)))
    assert passed.count(True) == 10
    assert RateCounter.objects.get(bucket="user:42").hits == 30


def test_windows_and_buckets_count_apart(db):
    assert [hit("ip:10.0.0.1", "2/60").remaining for _ in range(2)] == [1, 0]
    with pytest.raises(RateLimited) as refused:
        hit("ip:10.0.0.1", "2/60")
    assert 0 < refused.value.window.reset <= 60
    assert hit("ip:10.0.0.2", "2/60").remaining == 1


def test_a_new_window_starts_from_zero(db, fixed_clock):
    for _ in range(2):
        hit("ip:10.0.0.1", "2/60")
    fixed_clock.shift(61)
    assert hit("ip:10.0.0.1", "2/60").remaining == 1


def test_a_very_long_bucket_is_counted_on_its_own(db):
    long_a, long_b = "signup-mail:" + "a" * 300 + "@example.cn", "signup-mail:" + "a" * 300 + "@example.org"
    assert hit(long_a, "1/60").remaining == 0
    assert hit(long_b, "1/60").remaining == 0
    with pytest.raises(RateLimited):
        hit(long_a, "1/60")


def test_concurrent_api_requests_on_a_real_embedded_server(live_template, tmp_path):  # noqa: F811
    with serving(live_template, tmp_path, KEFU_API_RATE=f"20/{FOREVER}") as server:
        barrier = threading.Barrier(40)

        def get(_i: int) -> httpx.Response:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                barrier.wait()
                return client.get("/api/tickets", headers={"Authorization": f"Bearer {server.agent_token}"})

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(get, range(40)))
        assert sorted(a.status_code for a in answers) == [200] * 20 + [429] * 20
        refused = next(a for a in answers if a.status_code == 429)
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.headers["RateLimit-Limit"] == "20"
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert sorted(int(a.headers["RateLimit-Remaining"]) for a in answers if a.status_code == 200) == list(
            range(20)
        )
        # Another user's token is counted apart.
        other = httpx.get(
            f"{server.url}/api/tickets",
            headers={"Authorization": f"Bearer {server.customer_token}"},
            timeout=30,
        )
        assert other.status_code == 200
