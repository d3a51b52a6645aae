"""Celery tasks of the analytics app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kefu.analytics.tasks.refresh_rollups")
def refresh_rollups(recent_days: int = 1) -> dict:
    from . import rollups

    return rollups.refresh(recent_days=recent_days).as_dict()


@shared_task(name="kefu.analytics.tasks.send_monthly_reports")
def send_monthly_reports() -> int:
    """Hourly: last month's report to every subscription that has not had it (once each, any node count)."""
    from .reports.delivery import send_due_reports

    return send_due_reports()
