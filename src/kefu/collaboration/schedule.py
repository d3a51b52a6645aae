"""Periodic jobs of the collaboration app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "collab-escalate": {"task": "kefu.collaboration.tasks.escalate_overdue", "schedule": 60.0},
    "collab-syncs": {"task": "kefu.collaboration.tasks.run_syncs", "schedule": 60.0},
}
