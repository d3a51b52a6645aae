from celery import shared_task


@shared_task(acks_late=True)
def send_password_reset(email: str) -> int:
    """The lookup and the mail of a reset request, away from the request (same answer, same time)."""
    from .recovery import send_password_reset as run

    return run(email)
