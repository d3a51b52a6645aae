"""Every inbound item, stored raw before it is processed (nothing lost, nothing twice)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class RawInbound(models.Model):
    channel = models.CharField(max_length=10)
    external_id = models.CharField(max_length=255)
    payload = models.TextField()
    state = models.CharField(max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED)
    error = models.TextField(blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="uniq_inbound_channel_id")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"
