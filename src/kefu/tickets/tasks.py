"""Celery tasks of the tickets app (safe to run twice and on many workers at once)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def fill_business_minutes() -> int:
    """Every 5 minutes: the first responses that lack their business minutes (metrics/business.py)."""
    from .metrics.business import fill_missing

    return fill_missing()
