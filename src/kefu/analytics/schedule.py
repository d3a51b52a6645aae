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
    # From 06:00 on the 1st: last month's report to its subscribers (compare-and-set: once per month).
    "analytics-send-reports": {"task": "kefu.analytics.tasks.send_monthly_reports", "schedule": 3600.0},
}
