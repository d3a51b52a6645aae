"""After-commit dispatch: the one way a change triggers work elsewhere (no Django signals).

Apps register handlers by name; `publish(event_id)` enqueues them once the surrounding
transaction commits. Each handler is recorded in `EventHandlerRun` when done, so a repeat of
the task (a redelivered message, the sweeper) never runs a handler twice for the same event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from .models import EventHandlerRun

log = logging.getLogger("kefu.events")
Handler = Callable[[int], None]
_handlers: dict[str, Handler] = {}
# Where the sweeper finds recent event ids: (since, until) -> ids. Registered by the app that
# owns the event table (tickets), so core never imports it.
Source = Callable[[datetime, datetime], Iterable[int]]
_sources: dict[str, Source] = {}
MUTED = "*"  # an EventHandlerRun with this handler name: the event is history, nothing reacts
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_WINDOW = timedelta(hours=6)
_muted: ContextVar[bool] = ContextVar("kefu_events_muted", default=False)
# Muted event ids whose markers wait for one INSERT at the end of a `deferred_markers()` block.
_pending_marks: ContextVar[list[int] | None] = ContextVar("kefu_events_pending_marks", default=None)
Existing = Callable[[list[int]], Iterable[int]]


@contextmanager
def muted() -> Iterator[None]:
    """Write history without reacting to it (the demo's past tickets: no auto-replies, no routing)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


@contextmanager
def deferred_markers(existing: Existing) -> Iterator[None]:
    """Bulk loads: the markers of events published muted inside the block are written at its end,
    with one INSERT, instead of one `get_or_create` per event.

    Use it inside the transaction that writes the events, so markers and events still commit
    together. `existing(ids)` returns those of the ids whose events still exist (one rolled back to
    a savepoint in between gets no marker: its id may be given to a later event). On an exception
    nothing is written (the transaction is rolling back anyway). Nested blocks join the outer one.
    """
    if _pending_marks.get() is not None:
        yield
        return
    pending: list[int] = []
    token = _pending_marks.set(pending)
    try:
        yield
    finally:
        _pending_marks.reset(token)
    if pending:
        ids = sorted(set(existing(sorted(set(pending)))))
        EventHandlerRun.objects.bulk_create(
            [EventHandlerRun(event_id=pk, handler=MUTED) for pk in ids], ignore_conflicts=True, batch_size=500
        )


def register(name: str, handler: Handler) -> None:
    _handlers[name] = handler


def handler_names() -> list[str]:
    return sorted(_handlers)


def publish(event_id: int) -> None:
    """Run the registered handlers for an event after the current transaction commits."""
    if _muted.get():
        # Recorded, so the sweeper below never mistakes muted history for lost work.
        pending = _pending_marks.get()
        if pending is not None:
            pending.append(event_id)
        else:
            EventHandlerRun.objects.get_or_create(event_id=event_id, handler=MUTED)
        return
    if not _handlers:
        return

    def _enqueue() -> None:
        from .tasks import handle_event

        try:
            handle_event.delay(event_id)
        except Exception:  # broker down: the sweeper picks the event up later
            log.warning("could not enqueue event %s; the sweeper will retry", event_id, exc_info=True)

    transaction.on_commit(_enqueue)


class _AlreadyDone(Exception):
    """A concurrent run of the same handler recorded the event first."""


def run_handlers(event_id: int) -> list[str]:
    """Run every handler not yet done for this event; returns the names that ran now.

    Each handler runs in its own transaction together with its EventHandlerRun row, so its
    effects and "done" commit together. A failing handler does not keep the others from running;
    the first failure is raised at the end, so the task fails and the sweeper tries it again.
    """
    done = set(EventHandlerRun.objects.filter(event_id=event_id).values_list("handler", flat=True))
    if MUTED in done:
        return []
    ran: list[str] = []
    failure: Exception | None = None
    for name in handler_names():
        if name in done:
            continue
        try:
            with transaction.atomic():
                _handlers[name](event_id)
                try:
                    with transaction.atomic():
                        EventHandlerRun.objects.create(event_id=event_id, handler=name)
                except IntegrityError:
                    raise _AlreadyDone from None  # roll ours back: the other run's effects stand
        except _AlreadyDone:
            continue
        except Exception as err:
            log.exception("event handler %s failed for event %s", name, event_id)
            failure = failure or err
            continue
        ran.append(name)
    if failure is not None:
        raise failure
    return ran


def register_source(name: str, source: Source) -> None:
    _sources[name] = source


def pending(now: datetime) -> list[int]:
    """Events between SWEEP_WINDOW and SWEEP_AFTER old whose handlers have not all completed."""
    names = set(handler_names())
    if not names:
        return []
    ids = sorted({pk for source in _sources.values() for pk in source(now - SWEEP_WINDOW, now - SWEEP_AFTER)})
    found = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        done: dict[int, set[str]] = {pk: set() for pk in chunk}
        for event_id, handler in EventHandlerRun.objects.filter(event_id__in=chunk).values_list(
            "event_id", "handler"
        ):
            done[event_id].add(handler)
        found += [pk for pk in chunk if MUTED not in done[pk] and not names <= done[pk]]
    return found


def sweep(now: datetime) -> int:
    """Re-enqueue events whose handlers are still pending: a lost queue message delays work, never loses it.

    Safe on many nodes at once: handle_event skips handlers already done for an event.
    """
    from .tasks import handle_event

    ids = pending(now)
    for event_id in ids:
        handle_event.delay(event_id)
    if ids:
        log.info("re-enqueued %d events with pending handlers", len(ids))
    return len(ids)
