"""Periodic jobs of the plans app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    # every 15 minutes: the occurrences of recurring actions up to tomorrow (unique per slot)
    "plans-recurring-actions": {"task": "kefu.plans.tasks.generate_occurrences", "schedule": 900.0},
    # hourly: tell goal owners when a goal of an active plan turns at risk or off track
    "plans-goal-notices": {"task": "kefu.plans.tasks.check_goals", "schedule": 3600.0},
}
