from celery import shared_task


@shared_task
def retry_confirmations() -> int:
    """Every few minutes: contact-form confirmation mails that could not be sent go out again."""
    from .services import retry_confirmations as run

    return run()
