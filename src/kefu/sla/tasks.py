"""Celery tasks of the sla app (take ids, safe to run twice and on many workers at once)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task
def sweep() -> dict[str, int]:
    """Every minute: warnings and escalations of the timers whose time has come (see sweep.py)."""
    from .sweep import sweep as run

    result = run()
    return {"warned": result.warned, "breached": result.breached}


@shared_task
def recompute_timers(**kwargs: Any) -> dict[str, int]:
    """After a large policy or calendar edit: move the due times of its running timers (recompute.py)."""
    from .recompute import run_queued

    entry = run_queued(**kwargs)
    return {"checked": entry.checked, "moved": entry.moved} if entry else {"checked": 0, "moved": 0}
