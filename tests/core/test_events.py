"""After-commit dispatch: a rolled-back change enqueues nothing; a handler runs once per event."""

import pytest
from django.db import transaction

from kefu.core import events
from kefu.core.models import EventHandlerRun


@pytest.fixture
def calls():
    seen: list[int] = []
    events.register("test.record", seen.append)
    yield seen
    events._handlers.pop("test.record", None)


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_enqueues_nothing(calls, monkeypatch):
    enqueued = []
    monkeypatch.setattr("kefu.core.tasks.handle_event.delay", enqueued.append)
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(1)
        raise RuntimeError("rollback")
    assert enqueued == []
    with transaction.atomic():
        events.publish(2)
    assert enqueued == [2]


@pytest.mark.django_db
def test_handler_runs_once_even_when_the_task_is_delivered_twice(calls):
    assert events.run_handlers(7) == ["test.record"]
    assert events.run_handlers(7) == []
    assert calls == [7]
    assert EventHandlerRun.objects.filter(event_id=7, handler="test.record").count() == 1


@pytest.mark.django_db
def test_failing_handler_is_not_marked_done_and_runs_again(calls):
    attempts = []

    def flaky(event_id: int) -> None:
        attempts.append(event_id)
        if len(attempts) == 1:
            raise ConnectionError("smtp down")

    events.register("test.flaky", flaky)
    try:
        with pytest.raises(ConnectionError):
            events.run_handlers(9)
        events.run_handlers(9)
        assert attempts == [9, 9]
        assert EventHandlerRun.objects.filter(event_id=9, handler="test.flaky").exists()
    finally:
        events._handlers.pop("test.flaky", None)
