"""Periodic jobs of the tickets app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    # first responses written without reactions (demo, `kefu seed`, imports) get their business minutes
    "tickets-fill-business-minutes": {"task": "kefu.tickets.tasks.fill_business_minutes", "schedule": 300.0},
}
