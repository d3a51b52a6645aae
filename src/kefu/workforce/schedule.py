"""Periodic jobs of the workforce app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {}
