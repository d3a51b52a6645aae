"""Periodic jobs of the knowledge app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "kb-review-reminders": {"task": "kefu.knowledge.tasks.remind_stale_articles", "schedule": 3600.0},
}
