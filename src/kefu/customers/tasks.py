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


@shared_task
def resume_erasures() -> int:
    """Every few minutes: erasures whose worker died halfway go on (each part is recorded as done)."""
    from datetime import timedelta

    from kefu.core.clock import now

    from .models import ErasureRequest
    from .privacy import continue_erasure

    stale = ErasureRequest.objects.filter(
        finished_at__isnull=True, created_at__lt=now() - timedelta(minutes=5)
    )
    ids = list(stale.values_list("pk", flat=True)[:50])
    for pk in ids:
        continue_erasure(pk)
    return len(ids)
