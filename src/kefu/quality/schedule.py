"""Periodic jobs of the quality app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {}
