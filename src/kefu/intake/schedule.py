"""Periodic jobs of the intake app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "intake-retry-confirmations": {"task": "kefu.intake.tasks.retry_confirmations", "schedule": 300.0},
}
