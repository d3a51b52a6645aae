"""Celery tasks of the plans app: safe to run twice and on many nodes at once (all idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def generate_occurrences() -> int:
    """Create the due occurrences of recurring actions (each slot once, however many workers)."""
    from . import recurring

    return recurring.generate_due()


@shared_task
def check_goals() -> int:
    """Tell goal owners of a turn to at risk / off track (once per turn)."""
    from . import notices

    return notices.check_active_goals()
