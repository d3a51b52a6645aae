"""Complaints and second complaints (二次投诉): recorded from the event log, escalated by the
automation trigger care installs (priority urgent, supervisors notified)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import Notification
from kefu.automation.models import Trigger, TriggerRun
from kefu.care.models import Complaint
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Priority, TicketType
from kefu.tickets.states import Status


def test_a_complaint_ticket_is_recorded_once(complaint, customer_x):
    ticket = complaint(customer_x)
    rows = list(Complaint.objects.filter(ticket=ticket))
    assert len(rows) == 1
    assert not rows[0].is_repeat
    assert rows[0].order_ref == "YS20260601000123"


def test_a_ticket_typed_complaint_later_counts(open_ticket, run, customer_x, agent_li):
    ticket = open_ticket(customer_x)
    assert not Complaint.objects.filter(ticket=ticket).exists()
    run(tickets.update_ticket, ticket, by=agent_li, version=None, type=TicketType.COMPLAINT)
    assert Complaint.objects.filter(ticket=ticket, is_repeat=False).count() == 1


def test_second_complaint_about_the_same_order_escalates_at_once(
    complaint, customer_x, lead_zhao, fixed_clock
):
    first = complaint(customer_x)
    fixed_clock.shift(timedelta(days=10))
    second = complaint(customer_x, subject="又是订单号 YS20260601000123 的问题")
    record = Complaint.objects.get(ticket=second)
    assert record.is_repeat and record.repeat_of.ticket_id == first.pk
    second.refresh_from_db()
    assert "二次投诉" in list(second.tags.values_list("name", flat=True))
    # the automation trigger care made for it escalated it
    trigger = Trigger.objects.get(name__startswith="二次投诉升级")
    assert TriggerRun.objects.filter(trigger=trigger, ticket_id=second.pk, status="fired").count() == 1
    assert second.priority == Priority.URGENT
    assert Notification.objects.filter(user=lead_zhao, text__contains=second.number).exists()
    # the first complaint stays as it was
    first.refresh_from_db()
    assert first.priority != Priority.URGENT
    assert not first.tags.filter(name="二次投诉").exists()


def test_outside_the_window_or_another_order_is_a_first_complaint(complaint, customer_x, fixed_clock):
    complaint(customer_x)
    other = complaint(customer_x, order="YS20260601000999")
    assert not Complaint.objects.get(ticket=other).is_repeat
    fixed_clock.shift(timedelta(days=31))
    late = complaint(customer_x)
    assert not Complaint.objects.get(ticket=late).is_repeat
    late.refresh_from_db()
    assert late.priority != Priority.URGENT


def test_window_is_configurable(complaint, customer_x, fixed_clock, settings):
    settings.KEFU_CARE = {"second_complaint_days": 3}
    complaint(customer_x)
    fixed_clock.shift(timedelta(days=4))
    assert not Complaint.objects.get(ticket=complaint(customer_x)).is_repeat


def test_another_customer_about_the_same_order_is_not_a_second_complaint(complaint, customer_x, customer_y):
    complaint(customer_x)
    assert not Complaint.objects.get(ticket=complaint(customer_y)).is_repeat


def test_a_complaint_naming_the_earlier_ticket_is_a_second_one(complaint, customer_x):
    first = complaint(customer_x)
    second = complaint(customer_x, order="", subject="还是没人管", body=f"上次的投诉 {first.number} 没有结果")
    assert Complaint.objects.get(ticket=second).is_repeat


def test_customer_reopening_a_solved_complaint_is_a_second_complaint(
    complaint, run, customer_x, agent_li, fixed_clock
):
    ticket = complaint(customer_x)
    run(tickets.update_ticket, ticket, by=agent_li, version=None, status=Status.SOLVED)
    fixed_clock.shift(timedelta(days=2))
    ticket.refresh_from_db()
    run(tickets.customer_follow_up, ticket, body="问题还是没有解决！", channel=Channel.EMAIL)
    repeats = Complaint.objects.filter(ticket=ticket, is_repeat=True)
    assert repeats.count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.status == Status.OPEN


def test_agent_reopening_is_not_a_complaint(complaint, run, customer_x, agent_li):
    ticket = complaint(customer_x)
    run(tickets.update_ticket, ticket, by=agent_li, version=None, status=Status.SOLVED)
    ticket.refresh_from_db()
    run(tickets.update_ticket, ticket, by=agent_li, version=None, status=Status.OPEN)
    assert not Complaint.objects.filter(ticket=ticket, is_repeat=True).exists()


def test_handler_run_twice_records_nothing_twice(complaint, customer_x):
    from kefu.care.services import on_event
    from kefu.tickets.models import TicketEvent

    complaint(customer_x)
    second = complaint(customer_x)
    for event in TicketEvent.objects.filter(ticket=second):
        on_event(event.pk)
        on_event(event.pk)
    assert Complaint.objects.filter(ticket=second).count() == 1
    assert second.tags.filter(name="二次投诉").count() == 1


@pytest.mark.parametrize("kind", [TicketType.CONSULTATION, TicketType.AFTER_SALES])
def test_other_types_are_not_complaints(open_ticket, customer_x, kind):
    assert not Complaint.objects.filter(ticket=open_ticket(customer_x, type=kind)).exists()


def test_the_escalation_trigger_is_an_ordinary_one_the_admin_may_turn_off(complaint, customer_x, lead_zhao):
    assert not Trigger.objects.exists()  # nothing until a second complaint needs it
    complaint(customer_x)
    complaint(customer_x)
    trigger = Trigger.objects.get()
    Trigger.objects.filter(pk=trigger.pk).update(active=False)
    third = complaint(customer_x)
    assert Complaint.objects.get(ticket=third).is_repeat
    third.refresh_from_db()
    assert third.tags.filter(name="二次投诉").exists()
    assert third.priority != Priority.URGENT  # the administrator's choice stands
    assert Trigger.objects.count() == 1


def test_a_second_complaint_moves_to_the_urgent_sla_policy(complaint, customer_x, fixed_clock):
    """The escalation is the SLA's own: the urgent ticket gets the green-channel policy's timers."""
    from kefu.sla.models import Metric, SlaTimer
    from kefu.sla.services import TargetSpec, save_policy

    save_policy(
        by=None,
        name="普通",
        position=50,
        targets=[TargetSpec(Metric.RESOLUTION, 72 * 3600, business_time=False)],
    )
    urgent = save_policy(
        by=None,
        name="绿色通道",
        position=10,
        priorities=["urgent"],
        targets=[TargetSpec(Metric.RESOLUTION, 2 * 3600, business_time=False)],
    )
    complaint(customer_x)
    fixed_clock.shift(timedelta(days=1))
    second = complaint(customer_x)
    timer = SlaTimer.objects.filter(ticket=second, metric=Metric.RESOLUTION).exclude(state="cancelled").get()
    assert timer.policy == urgent and timer.target_seconds == 2 * 3600
