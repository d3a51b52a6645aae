"""Periodic jobs of the training app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE: dict = {
    "training-case-tasks": {"task": "kefu.training.tasks.case_tasks", "schedule": 3600.0},
}
