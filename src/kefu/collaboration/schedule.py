"""Periodic jobs of the collaboration app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {}
