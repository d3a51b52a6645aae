"""Celery tasks of the feedback app: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_survey(survey_id: int) -> bool:
    from . import services

    return services.send_survey(survey_id)


@shared_task
def send_surveys() -> int:
    """Every minute: surveys whose first send was lost, and due NPS questions."""
    from . import nps, services

    return services.send_due() + nps.send_due()


@shared_task
def remind() -> int:
    from . import services

    return services.remind_due()


@shared_task
def sample_nps(period: str = "") -> int:
    from datetime import date

    from . import nps

    return nps.sample(period=date.fromisoformat(f"{period}-01") if period else None)
