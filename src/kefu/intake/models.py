"""Every inbound item, stored raw before it is processed (nothing lost, nothing twice)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class RawInbound(models.Model):
    channel = models.CharField(_("channel"), max_length=10)
    external_id = models.CharField(_("external id"), max_length=255)
    payload = models.TextField()
    state = models.CharField(
        _("state"), max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="uniq_inbound_channel_id")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class ContactRequest(models.Model):
    """A ticket sent through the public contact form, waiting for its emailed link to be clicked.

    The ticket exists at once (nothing lost); the customer reaches it only through the link,
    which works once.
    """

    ticket_id = models.BigIntegerField(unique=True)
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(auto_now_add=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # A mail server that is down must not lose the link: failed sends are retried with back-off.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_tried_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact form request")
        verbose_name_plural = _("contact form requests")

    def __str__(self) -> str:
        return f"{self.email} → ticket {self.ticket_id}"
