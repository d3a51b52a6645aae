"""Celery tasks of the analytics app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kefu.analytics.tasks.refresh_rollups")
def refresh_rollups(recent_days: int = 1) -> dict:
    from . import rollups

    return rollups.refresh(recent_days=recent_days).as_dict()
