"""After-commit dispatch: a rolled-back change enqueues nothing; a handler runs once per event."""

import pytest
from django.db import transaction

from kefu.core import events
from kefu.core.models import EventHandlerRun


@pytest.fixture
def calls():
    """Only this test's handler is registered: the apps' real handlers are set aside meanwhile."""
    saved = dict(events._handlers)
    events._handlers.clear()
    seen: list[int] = []
    events.register("test.record", seen.append)
    yield seen
    events._handlers.clear()
    events._handlers.update(saved)


@pytest.mark.fault("B1")
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


@pytest.mark.fault("B1")
@pytest.mark.django_db
def test_handler_runs_once_even_when_the_task_is_delivered_twice(calls):
    assert events.run_handlers(7) == ["test.record"]
    assert events.run_handlers(7) == []
    assert calls == [7]
    assert EventHandlerRun.objects.filter(event_id=7, handler="test.record").count() == 1


@pytest.mark.fault("B1")
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


@pytest.mark.django_db(transaction=True)
def test_muted_history_enqueues_nothing(calls, monkeypatch):
    """The demo writes past tickets inside events.muted(): no auto-reply or routing for them."""
    enqueued = []
    monkeypatch.setattr("kefu.core.tasks.handle_event.delay", enqueued.append)
    with events.muted(), transaction.atomic():
        events.publish(3)
    with transaction.atomic():
        events.publish(4)
    assert enqueued == [4]


@pytest.mark.fault("B1", "B3")
@pytest.mark.django_db
def test_the_sweeper_reruns_events_whose_handlers_never_completed(
    calls, customer_x, make_ticket, monkeypatch
):
    """A queue message lost (broker down, worker killed) delays the reaction; it never loses it."""
    from datetime import timedelta

    from kefu.core.clock import now
    from kefu.tickets.models import TicketEvent

    ticket = make_ticket(customer_x, subject="物流三天没更新")
    lost = TicketEvent.objects.filter(ticket=ticket).first()
    muted_event = TicketEvent.objects.create(ticket=ticket, kind="changed", field="priority")
    with events.muted():
        events.publish(muted_event.pk)
    later = now() + timedelta(minutes=2)
    enqueued = []
    monkeypatch.setattr("kefu.core.tasks.handle_event.delay", enqueued.append)

    assert lost.pk in events.pending(later)
    assert muted_event.pk not in events.pending(later)  # muted history is not lost work
    assert events.sweep(later) >= 1 and lost.pk in enqueued
    events.run_handlers(lost.pk)
    assert lost.pk in calls
    assert lost.pk not in events.pending(later)  # done now: the next sweep leaves it alone
    fresh = TicketEvent.objects.create(ticket=ticket, kind="noted")
    assert fresh.pk not in events.pending(now())  # under a minute old: its task may still be queued
    assert fresh.pk in events.pending(later)


@pytest.mark.django_db
def test_one_failing_handler_does_not_hold_back_the_others(calls):
    """A broken SLA handler must not stop the auto-reply or routing of the same new ticket."""

    def broken(event_id: int) -> None:
        raise RuntimeError("calendar missing")

    events.register("a.broken", broken)  # sorts before test.record
    try:
        with pytest.raises(RuntimeError):
            events.run_handlers(11)
        assert calls == [11]
        assert EventHandlerRun.objects.filter(event_id=11, handler="test.record").exists()
        assert not EventHandlerRun.objects.filter(event_id=11, handler="a.broken").exists()
    finally:
        events._handlers.pop("a.broken", None)


@pytest.mark.fault("B1")
@pytest.mark.django_db
def test_when_a_concurrent_run_recorded_the_handler_first_our_effects_are_rolled_back(calls, customer_x):
    from kefu.customers.models import Customer

    def rename_and_race(event_id: int) -> None:
        Customer.objects.filter(pk=customer_x.pk).update(name="改过的名字")
        EventHandlerRun.objects.create(event_id=event_id, handler="test.race")  # the other worker

    events.register("test.race", rename_and_race)
    try:
        assert "test.race" not in events.run_handlers(12)
        assert Customer.objects.get(pk=customer_x.pk).name == customer_x.name
    finally:
        events._handlers.pop("test.race", None)
