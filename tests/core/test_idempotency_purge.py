"""Stored Idempotency-Key answers expire, so the table does not grow forever."""

import pytest


@pytest.mark.fault("A3")
@pytest.mark.django_db
def test_idempotency_keys_are_forgotten_after_a_day():
    from datetime import timedelta

    from kefu.core.clock import now
    from kefu.core.models import IdempotencyRecord
    from kefu.core.tasks import purge_idempotency_records

    old = IdempotencyRecord.objects.create(scope="api:1", key="old", fingerprint="x", status_code=201)
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=now() - timedelta(hours=25))
    IdempotencyRecord.objects.create(scope="api:1", key="fresh", fingerprint="y", status_code=201)
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
