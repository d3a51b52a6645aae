"""Periodic jobs of the training app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {}
