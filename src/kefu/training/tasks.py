"""Celery tasks of the training app: safe to run twice and on many nodes at once (FAULTS B5: the
quarter's case tasks are unique rows per person and quarter; marking one done is a compare-and-set)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def case_tasks(quarter: str = "") -> dict[str, int]:
    """Hourly: this quarter's reusable-case tasks exist for every experienced agent, and the ones
    whose case is published are done."""
    from . import periods, services

    quarter = quarter or periods.quarter_name(periods.today())
    return {
        "created": services.generate_case_tasks(quarter=quarter),
        "done": services.refresh_case_tasks(quarter=quarter),
    }
