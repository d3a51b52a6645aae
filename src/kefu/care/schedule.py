"""Periodic jobs of the care app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "care-callbacks": {"task": "kefu.care.tasks.generate_callbacks", "schedule": 6 * 3600.0},
    "care-key-customers": {"task": "kefu.care.tasks.generate_care", "schedule": 3600.0},
    "care-referrals": {"task": "kefu.care.tasks.sync_referrals", "schedule": 300.0},
}
