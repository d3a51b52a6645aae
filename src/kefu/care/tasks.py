"""Celery tasks of the care app: safe to run twice and on many nodes at once (all idempotent)."""

from __future__ import annotations

from celery import shared_task


def _this_month() -> str:
    from kefu.core.clock import now
    from kefu.core.metrics import local_zone

    from . import periods

    return periods.name(now().astimezone(local_zone()).date())


def _last_month() -> str:
    from . import periods

    return periods.name(periods.months_back(periods.parse(_this_month()), 1))


@shared_task
def generate_callbacks(period: str = "") -> int:
    """Daily: last month's callbacks (a month is sampled once it is over; re-runs add nothing)."""
    from . import services

    return services.generate_callbacks(period=period or _last_month())


@shared_task
def generate_care(period: str = "") -> int:
    """Daily: this month's key-customer list and care tasks (complainers join as they complain)."""
    from . import services

    return services.generate_care(period=period or _this_month())


@shared_task
def sync_referrals() -> int:
    """Every 5 minutes: reward the agents of leads whose orders arrived."""
    from . import services

    return services.sync_referrals()
