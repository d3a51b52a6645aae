"""After-commit dispatch: the one way a change triggers work elsewhere (no Django signals).

Apps register handlers by name; `publish(event_id)` enqueues them once the surrounding
transaction commits. Each handler is recorded in `EventHandlerRun` when done, so a repeat of
the task (a redelivered message, the sweeper) never runs a handler twice for the same event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from .models import EventHandlerRun

log = logging.getLogger("kefu.events")
Handler = Callable[[int], None]
_handlers: dict[str, Handler] = {}


def register(name: str, handler: Handler) -> None:
    _handlers[name] = handler


def handler_names() -> list[str]:
    return sorted(_handlers)


def publish(event_id: int) -> None:
    """Run the registered handlers for an event after the current transaction commits."""
    if not _handlers:
        return

    def _enqueue() -> None:
        from .tasks import handle_event

        try:
            handle_event.delay(event_id)
        except Exception:  # broker down: the sweeper picks the event up later
            log.warning("could not enqueue event %s; the sweeper will retry", event_id, exc_info=True)

    transaction.on_commit(_enqueue)


def run_handlers(event_id: int) -> list[str]:
    """Run every handler not yet done for this event; returns the names that ran now."""
    done = set(EventHandlerRun.objects.filter(event_id=event_id).values_list("handler", flat=True))
    ran = []
    for name in handler_names():
        if name in done:
            continue
        with transaction.atomic():
            _handlers[name](event_id)
            try:
                with transaction.atomic():
                    EventHandlerRun.objects.create(event_id=event_id, handler=name)
            except IntegrityError:  # a concurrent run finished first; its effects stand
                continue
        ran.append(name)
    return ran
