"""Collision detection: who else is viewing or replying on a ticket right now.

Each open ticket page sends a heartbeat about every 10 seconds. Heartbeats live in the
shared Django cache (Redis in production) under one key per ticket, so every web node
sees the same people. An entry older than STALE_AFTER seconds counts as gone, which also
covers closed tabs: nothing has to say goodbye.

Two agents writing the key at the same instant can drop one entry; the loser's next
heartbeat puts it back, so the display heals within one beat. That is the trade for not
needing a lock for something this soft.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

HEARTBEAT_SECONDS = 10
STALE_AFTER = 30  # three missed beats


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    replying: bool
    seen_at: float


def _key(ticket_id: int) -> str:
    return f"kefu:presence:ticket:{ticket_id}"


def _fresh(entries: dict[str, Any], current: float) -> dict[str, Any]:
    return {uid: e for uid, e in entries.items() if current - e.get("at", 0) < STALE_AFTER}


def touch(ticket_id: int, *, user: Any, replying: bool = False) -> None:
    """Record that `user` has the ticket open (and whether they are typing a reply)."""
    current = time.time()
    entries = _fresh(cache.get(_key(ticket_id)) or {}, current)
    entries[str(user.pk)] = {"name": user.name, "replying": bool(replying), "at": current}
    cache.set(_key(ticket_id), entries, timeout=STALE_AFTER * 2)


def leave(ticket_id: int, *, user: Any) -> None:
    entries = cache.get(_key(ticket_id)) or {}
    if entries.pop(str(user.pk), None) is not None:
        cache.set(_key(ticket_id), entries, timeout=STALE_AFTER * 2)


def others(ticket_id: int, *, user: Any) -> list[Presence]:
    """Everyone but `user` seen on the ticket recently, people replying first."""
    current = time.time()
    entries = _fresh(cache.get(_key(ticket_id)) or {}, current)
    people = [
        Presence(user_id=int(uid), name=e["name"], replying=e["replying"], seen_at=e["at"])
        for uid, e in entries.items()
        if uid != str(user.pk)
    ]
    return sorted(people, key=lambda p: (not p.replying, p.name))
