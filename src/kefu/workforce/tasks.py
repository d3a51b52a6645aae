"""Celery tasks of the workforce app."""

from __future__ import annotations

from celery import shared_task


@shared_task
def nightly_forecast() -> int | None:
    """Tonight's forecast; on several workers at once only one computes it (unique night, B5)."""
    from .forecasting import run_nightly

    run = run_nightly()
    return run.pk if run else None
