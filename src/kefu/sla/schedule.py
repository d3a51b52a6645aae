"""Periodic jobs of the sla app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "sla-sweep": {"task": "kefu.sla.tasks.sweep", "schedule": 60.0},
}
