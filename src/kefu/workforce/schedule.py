"""Periodic jobs of the workforce app (merged into CELERY_BEAT_SCHEDULE by settings).

The forecast is asked for every hour and runs once per night (the first call after midnight
inserts the night's run row; every later call, on any worker, finds it and does nothing)."""

BEAT_SCHEDULE = {
    "workforce-nightly-forecast": {"task": "kefu.workforce.tasks.nightly_forecast", "schedule": 3600.0},
}
