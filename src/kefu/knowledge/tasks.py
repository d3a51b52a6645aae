"""Celery tasks of the knowledge app (safe to run twice and on many workers at once)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def remind_stale_articles() -> int:
    """Hourly: tell authors (or supervisors) about published articles not reviewed for N months.
    Notices carry a dedupe key per article and month, so repeats and parallel runs add nothing."""
    from .services import remind_stale_articles as run

    return run()
