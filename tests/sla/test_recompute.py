"""A supervisor edits a policy or a calendar: the running timers of open tickets follow at once.

Time already spent is kept; met, breached and done tickets' timers are left as they were; each
edit is logged (`SlaRecompute`) and its cost does not grow a query per ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.sla.models import Metric, SlaRecompute, SlaTimer, TimerState
from kefu.sla.services import OFFICE_WEEKLY, TargetSpec, save_calendar, save_policy
from kefu.sla.sweep import sweep
from kefu.sla.timers import start_timer
from kefu.tickets import services as tickets

SH = ZoneInfo("Asia/Shanghai")


def first_response(ticket):
    return SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)


def shortened(policy, by, *, minutes, at=None):
    return save_policy(
        by=by,
        policy=policy,
        name=policy.name,
        position=policy.position,
        warn_percent=policy.warn_percent,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, minutes * 60, business_time=False),
            TargetSpec(Metric.NEXT_RESPONSE, 1800, business_time=False),
            TargetSpec(Metric.RESOLUTION, 10 * 3600, business_time=False),
        ],
        at=at,
    )


def test_a_shorter_first_response_target_moves_the_due_time_of_open_tickets(
    clock_policy, opened, run, client, lead_zhao, agent_li
):
    waiting = [opened(subject=f"物流查询 {i}") for i in range(3)]
    answered = opened(subject="已回复的工单")
    run(tickets.reply, answered, body="您好，已为您查询。", by=agent_li)
    met_before = first_response(answered)
    assert met_before.state == TimerState.MET

    client.force_login(lead_zhao)
    page = client.post(
        reverse("sla:policy", args=[clock_policy.pk]),
        {
            "name": clock_policy.name,
            "position": "50",
            "active": "on",
            "warn_percent": "80",
            "t_first_response": "20",  # was 60 minutes
            "t_next_response": "30",
            "t_resolution": "600",
            "pause_on_hold": "on",
            "notify_on_breach": "on",
        },
        follow=True,
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "3 running timers moved on 3 open tickets" in text
    assert 'data-testid="sla-recomputes"' in text

    for ticket in waiting:
        timer = first_response(ticket)
        assert timer.state == TimerState.RUNNING and timer.target_seconds == 1200
        # the time already spent counts: due 20 minutes after the ticket came in, not after the edit
        assert abs((timer.due_at - (timer.started_at + timedelta(minutes=20))).total_seconds()) < 5
        assert timer.check_at == timer.warn_at  # the warning (at 80 %) comes first, and moved too
        assert abs((timer.warn_at - (timer.started_at + timedelta(minutes=16))).total_seconds()) < 5
        resolution = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
        assert resolution.due_at == resolution.started_at + timedelta(hours=10)  # unchanged target
    met_after = first_response(answered)
    assert (met_after.state, met_after.due_at, met_after.met_at) == (
        TimerState.MET,
        met_before.due_at,
        met_before.met_at,
    )
    log = SlaRecompute.objects.get()
    assert (log.cause, log.policy, log.by, log.moved, log.tickets) == (
        "policy",
        clock_policy,
        lead_zhao,
        3,
        3,
    )


def test_breached_timers_and_done_tickets_are_left_alone(clock_policy, opened, run, lead_zhao, agent_li):
    late = opened(subject="已超时")
    done = opened(subject="已解决")
    run(tickets.change_status, done, to="solved", by=agent_li)
    start = first_response(late).started_at
    assert sweep(at=start + timedelta(minutes=61)).breached == 1
    breached = first_response(late)
    assert breached.state == TimerState.BREACHED
    resolved = {t.metric: (t.state, t.due_at) for t in SlaTimer.objects.filter(ticket=done)}

    shortened(clock_policy, lead_zhao, minutes=10, at=start + timedelta(minutes=62))

    again = first_response(late)
    assert (again.state, again.due_at, again.breached_at) == (
        TimerState.BREACHED,
        breached.due_at,
        breached.breached_at,
    )
    assert {t.metric: (t.state, t.due_at) for t in SlaTimer.objects.filter(ticket=done)} == resolved


def test_a_paused_timer_keeps_its_spent_time_under_the_new_target(
    clock_policy, opened, run, lead_zhao, agent_li
):
    ticket = opened()
    run(tickets.change_status, ticket, to="pending", by=agent_li)
    timer = first_response(ticket)
    assert timer.state == TimerState.PAUSED
    spent = 3600 - timer.remaining_seconds
    shortened(clock_policy, lead_zhao, minutes=30)
    timer.refresh_from_db()
    assert timer.state == TimerState.PAUSED and timer.due_at is None
    assert timer.remaining_seconds == 1800 - spent


def test_an_edit_costs_the_same_queries_for_few_or_many_tickets(clock_policy, opened, lead_zhao):
    def queries_for_edit(minutes):
        with CaptureQueriesContext(connection) as seen:
            shortened(clock_policy, lead_zhao, minutes=minutes)
        return len(seen)

    opened(subject="一")
    few = queries_for_edit(50)
    for i in range(6):
        opened(subject=f"多 {i}")
    many = queries_for_edit(40)
    assert SlaRecompute.objects.first().moved == 7
    assert many == few


def test_a_narrower_policy_hands_its_tickets_to_the_next_one(clock_policy, opened, lead_zhao):
    from kefu.tickets.models import Channel

    fallback = save_policy(
        by=lead_zhao,
        name="兜底",
        position=200,
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 4 * 3600, business_time=False)],
    )
    ticket = opened()  # email: clock_policy (position 50) takes it
    assert first_response(ticket).policy == clock_policy
    save_policy(
        by=lead_zhao,
        policy=clock_policy,
        name=clock_policy.name,
        position=50,
        channels=[Channel.CHAT],  # now chat only
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 3600, business_time=False)],
    )
    timer = first_response(ticket)
    assert timer.policy == fallback and timer.target_seconds == 4 * 3600
    assert abs((timer.due_at - (timer.started_at + timedelta(hours=4))).total_seconds()) < 5
    resolution = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert resolution.state == TimerState.CANCELLED  # the fallback policy sets no resolution target


def test_a_ticket_handed_to_another_policy_gets_the_targets_only_the_new_one_has(
    clock_policy, opened, lead_zhao
):
    from kefu.tickets.models import Channel

    slim = save_policy(
        by=lead_zhao,
        name="只管解决",
        position=10,
        targets=[TargetSpec(Metric.RESOLUTION, 8 * 3600, business_time=False)],
    )
    ticket = opened()  # email: the slim policy (position 10) takes it: a resolution target only
    assert not SlaTimer.objects.filter(ticket=ticket, metric=Metric.FIRST_RESPONSE).exists()
    save_policy(
        by=lead_zhao,
        policy=slim,
        name=slim.name,
        position=10,
        channels=[Channel.CHAT],  # now chat only: clock_policy takes the email ticket over
        targets=[TargetSpec(Metric.RESOLUTION, 8 * 3600, business_time=False)],
    )
    response = first_response(ticket)  # started by the edit, under the policy that now applies
    assert response.state == TimerState.RUNNING and response.policy == clock_policy
    assert response.target_seconds == 3600
    resolution = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION, state=TimerState.RUNNING)
    assert resolution.policy == clock_policy and resolution.target_seconds == 10 * 3600
    assert SlaTimer.objects.filter(ticket=ticket, metric=Metric.RESOLUTION).count() == 1  # moved, not doubled


@pytest.fixture
def office(lead_zhao):
    """Monday–Friday 9:00–12:00 and 13:30–18:00, no statutory days (the test picks its own)."""
    return save_calendar(by=lead_zhao, name="测试工作日", weekly=OFFICE_WEEKLY, statutory=False)


def test_a_holiday_added_to_the_calendar_moves_the_due_time_past_it(
    office, make_ticket, customer_x, customer_y, lead_zhao
):
    policy = save_policy(
        by=lead_zhao,
        name="一个工作日解决",
        position=10,
        calendar=office,
        targets=[TargetSpec(Metric.RESOLUTION, int(7.5 * 3600), business_time=True)],
    )
    thursday = datetime(2026, 12, 3, 10, 0, tzinfo=SH)
    running = make_ticket(customer_x, subject="退货")
    timer = start_timer(
        running,
        metric=Metric.RESOLUTION,
        seconds=int(7.5 * 3600),
        business_time=True,
        at=thursday,
        policy=policy,
        calendar=office,
    )
    assert timer.due_at == datetime(2026, 12, 4, 10, 0, tzinfo=SH)  # Friday 10:00
    met = make_ticket(customer_y, subject="已完成")
    kept = start_timer(
        met,
        metric=Metric.RESOLUTION,
        seconds=int(7.5 * 3600),
        business_time=True,
        at=thursday,
        policy=policy,
        calendar=office,
    )
    SlaTimer.objects.filter(pk=kept.pk).update(state=TimerState.MET, met_at=thursday, check_at=None)

    save_calendar(
        by=lead_zhao,
        calendar=office,
        name=office.name,
        weekly=OFFICE_WEEKLY,
        statutory=False,
        holidays=["2026-12-04"],  # Friday off
        at=thursday + timedelta(hours=1),
    )

    timer.refresh_from_db()
    # 6.5 working hours were left at 11:00 on Thursday; Friday and the weekend do not count
    assert timer.due_at == datetime(2026, 12, 7, 10, 0, tzinfo=SH)  # Monday 10:00
    assert timer.check_at == timer.warn_at and timer.warn_at < timer.due_at
    kept.refresh_from_db()
    assert kept.state == TimerState.MET and kept.due_at == datetime(2026, 12, 4, 10, 0, tzinfo=SH)
    log = SlaRecompute.objects.filter(cause="calendar").get()
    assert (log.calendar, log.moved, log.tickets) == (office, 1, 1)


def test_the_calendar_page_says_how_many_timers_moved(office, make_ticket, customer_x, client, lead_zhao):
    policy = save_policy(
        by=lead_zhao,
        name="两小时",
        position=10,
        calendar=office,
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 2 * 3600, business_time=True)],
    )
    ticket = make_ticket(customer_x)
    start_timer(
        ticket,
        metric=Metric.FIRST_RESPONSE,
        seconds=7200,
        business_time=True,
        at=ticket.created_at,
        policy=policy,
        calendar=office,
    )
    client.force_login(lead_zhao)
    form = {"name": office.name, "tz": "Asia/Shanghai", "day5": "09:00-18:00"}  # Saturdays only now
    page = client.post(reverse("sla:calendar", args=[office.pk]), form, follow=True)
    text = page.content.decode()
    assert page.status_code == 200 and "Calendar saved." in text
    assert "1 running timers moved on 1 open tickets" in text
    assert first_response(ticket).due_at.astimezone(SH).weekday() == 5
    assert SlaRecompute.objects.filter(calendar=office).count() == 1


def test_a_large_edit_is_recomputed_by_a_task_after_commit(
    clock_policy, opened, lead_zhao, monkeypatch, django_capture_on_commit_callbacks
):
    from kefu.sla import recompute

    made = [opened(subject=f"大批量 {i}") for i in range(3)]
    monkeypatch.setattr(recompute, "SYNC_LIMIT", 2)  # six timers are "many" here
    with django_capture_on_commit_callbacks(execute=True):
        row = shortened(clock_policy, lead_zhao, minutes=15)
        assert row.recomputed.queued and row.recomputed.checked == 6  # first response + resolution
        assert first_response(made[0]).target_seconds == 3600  # nothing moved before the commit
    for ticket in made:
        timer = first_response(ticket)
        assert timer.target_seconds == 900
        assert abs((timer.due_at - (timer.started_at + timedelta(minutes=15))).total_seconds()) < 5
    log = SlaRecompute.objects.get()
    assert (log.by, log.moved, log.tickets) == (lead_zhao, 3, 3)


def test_an_edit_that_changes_no_target_moves_nothing(clock_policy, opened, lead_zhao):
    ticket = opened()
    before = first_response(ticket)
    save_policy(
        by=lead_zhao,
        policy=clock_policy,
        name="测试：改个名字",
        position=clock_policy.position,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, 3600, business_time=False),
            TargetSpec(Metric.NEXT_RESPONSE, 1800, business_time=False),
            TargetSpec(Metric.RESOLUTION, 10 * 3600, business_time=False),
        ],
    )
    log = SlaRecompute.objects.get()
    assert (log.checked, log.moved, log.tickets) == (2, 0, 0)
    assert first_response(ticket).due_at == before.due_at
