"""Shared base models."""

from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an Idempotency-Key, replayed for repeats."""

    scope = models.CharField(max_length=64)  # e.g. "api:<user id>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method + path + body
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="uniq_idempotency_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class EventHandlerRun(models.Model):
    """One row per (event, handler) that has completed: handlers run at most once per event."""

    event_id = models.BigIntegerField()
    handler = models.CharField(max_length=100)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "handler"], name="uniq_event_handler")]

    def __str__(self) -> str:
        return f"{self.handler}@{self.event_id}"


class RateCounter(models.Model):
    """Requests counted in one fixed window of a rate limit, where the cache cannot count atomically
    (embedded mode's file cache): one row per (bucket, window), raised by a single upsert."""

    bucket = models.CharField(max_length=200)  # e.g. "user:<id>", "ip:<address>"
    window_start = models.BigIntegerField()  # Unix seconds
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)  # Unix seconds: the row is useless after it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="uniq_rate_counter_window")
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"
