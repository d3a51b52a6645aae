"""Periodic jobs of the feedback app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "feedback-send": {"task": "kefu.feedback.tasks.send_surveys", "schedule": 60.0},
    "feedback-remind": {"task": "kefu.feedback.tasks.remind", "schedule": 3600.0},
    "feedback-nps": {"task": "kefu.feedback.tasks.sample_nps", "schedule": 6 * 3600.0},
}
