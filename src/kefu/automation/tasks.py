"""Celery tasks of the automation app: take ids, re-load, safe to run twice and on many workers."""

from celery import shared_task

from . import timerules, webhooks


@shared_task(acks_late=True)
def run_time_rules() -> int:
    """Every minute: each (rule, ticket, occurrence) acts once however many workers run this."""
    return timerules.sweep()


@shared_task(acks_late=True)
def send_webhook(delivery_id: int) -> str:
    return webhooks.send(delivery_id)


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """Retry due deliveries and those whose worker died mid-send (lease expired)."""
    return webhooks.sweep()
