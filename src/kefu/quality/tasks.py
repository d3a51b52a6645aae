"""Celery tasks of the quality app: safe to run twice and on many nodes at once."""

from __future__ import annotations

from celery import shared_task


@shared_task
def sample_last_week() -> int:
    """Hourly: last week's QA sample, once per week however many workers start it (B5)."""
    from . import services

    return services.sample_week()
