from celery import shared_task

from . import events


@shared_task(acks_late=True)
def handle_event(event_id: int) -> list[str]:
    return events.run_handlers(event_id)


@shared_task
def purge_idempotency_records() -> int:
    """Hourly; a plain DELETE by age, so running it on several nodes at once is harmless."""
    from .idempotency import purge_expired

    return purge_expired()


@shared_task
def sweep_events() -> int:
    """Every minute: events whose handlers did not complete (a lost message, a crashed worker) run again."""
    from .clock import now

    return events.sweep(now())
