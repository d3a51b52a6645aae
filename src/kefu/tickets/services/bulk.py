"""Bulk loads (a mail archive import, a seed): per-ticket bookkeeping written once per batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kefu.core import events
from kefu.tickets.models import TicketEvent
from kefu.tickets.services.common import deferred_reindex

CHUNK = 500


def _existing_events(ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(ids), CHUNK):
        found += TicketEvent.objects.filter(pk__in=ids[start : start + CHUNK]).values_list("pk", flat=True)
    return found


@contextmanager
def batched() -> Iterator[None]:
    """Inside one transaction of many ticket writes: the search rows of the tickets touched and the
    markers of muted events are written once, at the end of the block, instead of per change.

    What is stored is the same as without the block; only the number of queries changes.
    """
    with deferred_reindex(), events.deferred_markers(_existing_events):
        yield
