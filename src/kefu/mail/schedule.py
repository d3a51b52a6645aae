"""Periodic jobs of the mail app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    "mail-poll": {"task": "kefu.mail.tasks.poll_mailboxes", "schedule": 60.0},
    "mail-send-due": {"task": "kefu.mail.tasks.send_due_mail", "schedule": 60.0},
    "mail-customer-notices": {"task": "kefu.mail.tasks.send_customer_notices", "schedule": 60.0},
}
