"""Celery tasks of the mail app: take ids, re-load, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def deliver_mail(outbox_id: int) -> str:
    from .outbound import deliver

    return deliver(outbox_id)


@shared_task
def send_due_mail() -> int:
    """Every minute: mail whose retry time came (or whose enqueue was lost). Rows are claimed."""
    from .outbound import send_due

    return send_due()


@shared_task
def send_customer_notices() -> int:
    """Every minute: notices to customers whose burst of replies is over become mails (claimed rows)."""
    from .notices import send_due

    return send_due()


@shared_task
def poll_mailboxes() -> int:
    """Every minute: fetch new mail of every active IMAP mailbox (one poll per mailbox at a time)."""
    from .imap import poll_all

    return poll_all()


@shared_task(acks_late=True)
def process_mail(mail_id: int) -> str:
    from .inbound import process
    from .models import InboundMail, MailState

    mail = InboundMail.objects.select_related("mailbox").filter(pk=mail_id, state=MailState.RECEIVED).first()
    return process(mail).decision if mail else ""
