"""Celery tasks of the collaboration app: safe to run twice and on many nodes at once (B5).

Escalation acts once per task (compare-and-set on `escalated_at`); a sync happens once per
(department, slot) (unique row)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def escalate_overdue() -> int:
    """Every minute: overdue open tasks escalate to the department lead and the supervisors, once."""
    from . import services

    return services.escalate_overdue()


@shared_task
def run_syncs() -> int:
    """Every minute: the syncs due now (10:00 and 16:00 by default) make their digests, once."""
    from . import syncs

    return syncs.run_due_syncs()
