"""Periodic jobs of the customers app (merged into CELERY_BEAT_SCHEDULE by settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "customers-recompute-tiers": {
        "task": "kefu.customers.tasks.recompute_tiers",
        "schedule": crontab(hour=2, minute=15),
    },
    "customers-resume-erasures": {
        "task": "kefu.customers.tasks.resume_erasures",
        "schedule": 600.0,
    },
}
