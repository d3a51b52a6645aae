"""Periodic jobs of the automation app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "automation-time-rules": {"task": "kefu.automation.tasks.run_time_rules", "schedule": 60.0},
    "automation-webhooks": {"task": "kefu.automation.tasks.sweep_webhooks", "schedule": 30.0},
}
