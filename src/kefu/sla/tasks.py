"""Celery tasks of the sla app (take ids, safe to run twice and on many workers at once)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def sweep() -> dict[str, int]:
    """Every minute: warnings and escalations of the timers whose time has come (see sweep.py)."""
    from .sweep import sweep as run

    result = run()
    return {"warned": result.warned, "breached": result.breached}
