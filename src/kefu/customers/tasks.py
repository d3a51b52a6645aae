"""Celery tasks of the customers app."""

from __future__ import annotations

from celery import shared_task


@shared_task
def recompute_tiers() -> int:
    """Nightly: spend, order count and tier of every customer with orders (expired overrides end).
    Safe on several nodes at once: a second run finds nothing to change."""
    from .tiers import recompute_customers

    return recompute_customers()


@shared_task
def run_erasure(request_id: int) -> dict:
    """Erase one customer's data (resumable: each part done is recorded, a re-run goes on)."""
    from .privacy import continue_erasure

    return continue_erasure(request_id)
