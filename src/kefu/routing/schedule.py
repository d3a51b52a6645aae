"""Periodic jobs of the routing app (merged into CELERY_BEAT_SCHEDULE by settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "routing-route-waiting": {
        "task": "kefu.routing.tasks.route_waiting",
        "schedule": 120.0,
    },
    "routing-retrain-nightly": {
        "task": "kefu.routing.tasks.retrain_nightly",
        "schedule": crontab(hour=3, minute=30),
    },
}
