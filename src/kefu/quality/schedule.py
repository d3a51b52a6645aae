"""Periodic jobs of the quality app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {
    # Hourly, so a week is sampled early on Monday even after downtime; the week's unique run row
    # makes every start after the first (on any node) a no-op.
    "quality-weekly-sample": {"task": "kefu.quality.tasks.sample_last_week", "schedule": 3600.0},
}
