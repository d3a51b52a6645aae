"""Periodic jobs of the emergency app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "emergency-watch": {"task": "kefu.emergency.tasks.watch", "schedule": 60.0},
}
