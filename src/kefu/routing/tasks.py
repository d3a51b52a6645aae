"""Celery tasks of the routing app."""

from __future__ import annotations

from celery import shared_task
from django.db import IntegrityError, transaction


@shared_task
def retrain_nightly() -> dict:
    """Retrain every ticket field from the install's history. Several nodes at once: the unique
    RetrainRun day lets one of them train; the others (and a second run that day) return at once."""
    from .models import RetrainRun
    from .services.assignment import today
    from .services.training import retrain_all

    try:
        with transaction.atomic():
            run = RetrainRun.objects.create(day=today())
    except IntegrityError:
        return {"skipped": "already ran today"}
    result = retrain_all()
    RetrainRun.objects.filter(pk=run.pk).update(result=result)
    return result


@shared_task
def retrain_field(field: str) -> str:
    """On demand (the "retrain now" button)."""
    from .errors import TrainingFailed
    from .services.training import train_from_history

    try:
        return f"v{train_from_history(field, folds=3).version}"
    except TrainingFailed as err:
        return err.message


@shared_task
def route_waiting() -> int:
    """Every two minutes, and when an agent comes online: owners for the tickets nobody could take."""
    from .services.assignment import route_waiting as run

    return run()
