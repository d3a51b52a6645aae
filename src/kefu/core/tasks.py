from celery import shared_task

from . import events


@shared_task(acks_late=True)
def handle_event(event_id: int) -> list[str]:
    return events.run_handlers(event_id)
