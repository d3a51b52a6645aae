"""Celery tasks of the emergency app: safe to run twice and on many nodes at once."""

from __future__ import annotations

from celery import shared_task


@shared_task
def watch() -> int:
    """Every minute: read every active plan's trigger; open an incident once per episode."""
    from . import services

    return services.watch()
