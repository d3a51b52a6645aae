"""Periodic jobs of the analytics app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    # New ticket events → the days they touch are recomputed (a lease keeps it to one node at a time).
    "analytics-refresh-rollups": {"task": "kefu.analytics.tasks.refresh_rollups", "schedule": 60.0},
    # Once a day the recent weeks are rebuilt whole: rows that no ticket event announces (surveys…).
    "analytics-rebuild-recent": {
        "task": "kefu.analytics.tasks.refresh_rollups",
        "schedule": 86400.0,
        "kwargs": {"recent_days": 40},
    },
}
