"""Syncs at 10:00 and 16:00 on the department's working days: one digest per slot whatever the
number of workers (B5), sections due today / overdue / blocked with links, marks from both sides,
a sync time outside working hours warned."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail

from kefu.collaboration import services, syncs
from kefu.collaboration.models import Sync, SyncItem, SyncMark, SyncSection, Task
from tests.clock import SHANGHAI


def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_slots_follow_the_working_days_of_the_department(wh):
    row = wh.collab_settings
    assert syncs.due_slots(row, _at("2026-06-10 10:00:30")) == [_at("2026-06-10 10:00")]
    assert syncs.due_slots(row, _at("2026-06-10 09:59")) == []
    assert syncs.due_slots(row, _at("2026-06-10 16:20")) == [_at("2026-06-10 16:00")]
    assert syncs.due_slots(row, _at("2026-06-13 10:00")) == []  # Saturday
    assert syncs.due_slots(row, _at("2026-10-01 10:00")) == []  # National Day
    assert syncs.due_slots(row, _at("2026-10-10 10:00")) == [_at("2026-10-10 10:00")]  # 调休 Saturday


def test_a_sync_time_outside_working_hours_is_warned(warehouse):
    _row, warnings = syncs.configure(warehouse, day_start=time(9), day_end=time(18), sync_times="08:30,16:00")
    assert len(warnings) == 1 and "08:30" in warnings[0]
    _row, none = syncs.configure(warehouse, sync_times="10:00, 16:00")
    assert none == []
    with pytest.raises(syncs.ValidationFailed):
        syncs.configure(warehouse, sync_times="25:00")


@pytest.mark.now("2026-06-10 10:00")
def test_the_digest_lists_due_today_overdue_and_blocked_with_links(
    ticket, inspect, agent_li, dept_chen, lead_zhao, django_capture_on_commit_callbacks
):
    ask = lambda text: services.request_task(  # noqa: E731
        ticket, department=inspect.department, kind=inspect, description=text, by=agent_li
    )
    late, today, blocked, later = ask("逾期的"), ask("今天到期"), ask("卡住的"), ask("明天的")
    slot = _at("2026-06-10 10:00")
    Task.objects.filter(pk=late.pk).update(due_at=slot - timedelta(hours=3))
    Task.objects.filter(pk=today.pk).update(due_at=_at("2026-06-10 17:00"))
    services.set_blocked(blocked, blocked=True, by=dept_chen)
    with django_capture_on_commit_callbacks(execute=True):
        assert syncs.run_due_syncs(at=slot + timedelta(seconds=20)) == 1
    sync = Sync.objects.get()
    sections = {i.task_id: i.section for i in SyncItem.objects.filter(sync=sync)}
    assert sections == {
        late.pk: SyncSection.OVERDUE,
        today.pk: SyncSection.DUE_TODAY,
        blocked.pk: SyncSection.BLOCKED,
    }
    assert later.pk not in sections
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert {dept_chen.email, lead_zhao.email, agent_li.email} <= set(digest.to)
    assert (
        f"/agent/collab/tasks/{late.pk}/" in digest.body and f"/agent/collab/syncs/{sync.pk}/" in digest.body
    )
    # each side marks an item
    item = SyncItem.objects.get(sync=sync, task=late)
    syncs.mark_item(item, mark=SyncMark.SEEN, by=dept_chen)
    syncs.mark_item(item, mark=SyncMark.UPDATED, by=agent_li)
    item.refresh_from_db()
    assert (item.department_mark, item.service_mark) == ("seen", "updated")
    with pytest.raises(syncs.ValidationFailed):
        syncs.mark_item(item, mark="done", by=dept_chen)


@pytest.mark.fault("B5")
def test_the_same_slot_twice_and_a_clock_jump_make_one_digest(wh, django_capture_on_commit_callbacks):
    slot = _at("2026-06-10 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert syncs.run_due_syncs(at=slot + timedelta(seconds=5)) == 1
        assert syncs.run_due_syncs(at=slot + timedelta(seconds=50)) == 0
        assert syncs.run_due_syncs(at=slot + timedelta(minutes=30)) == 0  # the clock jumped back and on
    assert Sync.objects.count() == 1
    assert len(mail.outbox) == 1
