"""Timers follow the ticket: started on creation, met by replies, paused while pending, retargeted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import Notification
from kefu.core import businesstime as bt
from kefu.sla.models import Metric, SlaTimer, TimerState
from kefu.sla.services import TargetSpec, install_defaults, save_policy
from kefu.sla.timers import remaining
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Priority, TicketType


def timers(ticket):
    return {t.metric: t for t in SlaTimer.objects.filter(ticket=ticket).exclude(state=TimerState.CANCELLED)}


def test_a_new_ticket_gets_its_policy_targets(clock_policy, opened):
    ticket = opened()
    found = timers(ticket)
    assert set(found) == {Metric.FIRST_RESPONSE, Metric.RESOLUTION}
    first = found[Metric.FIRST_RESPONSE]
    assert first.state == TimerState.RUNNING and first.policy == clock_policy
    assert first.due_at == first.started_at + timedelta(hours=1)
    assert first.warn_at == first.started_at + timedelta(minutes=48)  # warn at 80 %
    assert first.check_at == first.warn_at


def test_replies_meet_first_and_next_response(clock_policy, opened, run, agent_li, customer_x):
    ticket = opened()
    run(tickets.reply, ticket, body="您好，我们正在查询。", by=agent_li)
    first = timers(ticket)[Metric.FIRST_RESPONSE]
    assert first.state == TimerState.MET and first.check_at is None
    run(tickets.reply, ticket, body="还没到，怎么回事？", by=customer_x.user)
    nxt = SlaTimer.objects.get(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    assert nxt.state == TimerState.RUNNING
    assert nxt.due_at == nxt.started_at + timedelta(minutes=30)
    run(tickets.reply, ticket, body="已联系仓库加急。", by=agent_li)
    nxt.refresh_from_db()
    assert nxt.state == TimerState.MET


def test_pending_on_the_customer_pauses_and_their_reply_resumes(
    clock_policy, opened, run, agent_li, customer_x
):
    ticket = opened()
    run(tickets.reply, ticket, body="请提供订单号。", by=agent_li)
    ticket.refresh_from_db()
    run(tickets.change_status, ticket, to="pending", by=agent_li)
    resolution = timers(ticket)[Metric.RESOLUTION]
    assert resolution.state == TimerState.PAUSED
    assert resolution.due_at is None and resolution.check_at is None
    left = resolution.remaining_seconds
    assert 10 * 3600 - 120 < left <= 10 * 3600
    ticket.refresh_from_db()
    run(tickets.reply, ticket, body="订单号 20261123001", by=customer_x.user)
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    assert abs(remaining(resolution, resolution.due_at - timedelta(seconds=left)).total_seconds() - left) < 2


def test_on_hold_pauses_only_when_the_policy_says_so(clock_policy, opened, run, agent_li):
    ticket = opened()
    run(tickets.change_status, ticket, to="on_hold", by=agent_li)
    assert timers(ticket)[Metric.RESOLUTION].state == TimerState.PAUSED
    clock_policy.pause_on_hold = False
    clock_policy.save()
    other = opened(subject="换货进度")
    run(tickets.change_status, other, to="on_hold", by=agent_li)
    assert timers(other)[Metric.RESOLUTION].state == TimerState.RUNNING


def test_solving_meets_resolution_and_stops_the_rest(clock_policy, opened, run, agent_li):
    ticket = opened()
    run(tickets.change_status, ticket, to="solved", by=agent_li)
    states = {t.metric: t.state for t in SlaTimer.objects.filter(ticket=ticket)}
    assert states == {Metric.FIRST_RESPONSE: TimerState.CANCELLED, Metric.RESOLUTION: TimerState.MET}
    ticket.refresh_from_db()
    run(tickets.change_status, ticket, to="open", by=agent_li)  # reopened: a new resolution clock
    assert (
        SlaTimer.objects.filter(ticket=ticket, metric=Metric.RESOLUTION, state=TimerState.RUNNING).count()
        == 1
    )


def test_a_priority_change_moves_the_ticket_to_a_stricter_policy(clock_policy, opened, run, agent_li):
    save_policy(
        by=None,
        name="高优先级",
        position=10,
        priorities=[Priority.HIGH],
        targets=[TargetSpec(Metric.FIRST_RESPONSE, 900, business_time=False)],
    )
    ticket = opened()
    before = timers(ticket)[Metric.FIRST_RESPONSE]
    run(tickets.update_ticket, ticket, by=agent_li, version=ticket.version, priority=Priority.HIGH)
    after = timers(ticket)
    assert after[Metric.FIRST_RESPONSE].target_seconds == 900
    assert after[Metric.FIRST_RESPONSE].due_at <= before.started_at + timedelta(minutes=15, seconds=5)
    assert Metric.RESOLUTION not in after  # the new policy has no resolution target


def test_business_time_targets_use_the_calendar(opened, agent_li):
    install_defaults()  # 售后服务 weekdays 9:00–18:00, lunch 12:00–13:30, Chinese holidays
    ticket = opened()
    first = timers(ticket)[Metric.FIRST_RESPONSE]
    assert first.business_time and first.calendar.name == "售后服务工作日"
    assert first.due_at == bt.add_business_time(bt.Calendar.office(), first.started_at, timedelta(hours=2))
    assert bt.is_working_time(bt.Calendar.office(), first.due_at - timedelta(microseconds=1))


def test_the_defaults_of_the_plans(opened):
    install_defaults()
    install_defaults()  # idempotent
    chat = opened(channel=Channel.CHAT, subject="在线咨询")
    first = timers(chat)[Metric.FIRST_RESPONSE]
    assert first.target_seconds == 30 and not first.business_time
    complaint = opened(subject="我要投诉", type=TicketType.COMPLAINT)
    found = timers(complaint)
    assert found[Metric.ACKNOWLEDGEMENT].target_seconds == 3600
    assert found[Metric.RESOLUTION].target_seconds == 24 * 3600


def test_green_channel_tells_the_supervisor_at_once(clock_policy, opened, lead_zhao):
    ticket = opened(subject="生鲜退货：收到的海鲜已变质", priority=Priority.URGENT)
    plan = timers(ticket)[Metric.SOLUTION_PLAN]
    assert plan.due_at == plan.started_at + timedelta(hours=2) and not plan.business_time
    notice = Notification.objects.get(user=lead_zhao, kind="sla_green")
    assert ticket.number in notice.text


def test_an_agent_note_acknowledges(opened, run, agent_li):
    save_policy(by=None, name="确认", targets=[TargetSpec(Metric.ACKNOWLEDGEMENT, 3600, channel=Channel.WEB)])
    ticket = opened()
    assert timers(ticket)[Metric.ACKNOWLEDGEMENT].state == TimerState.RUNNING
    run(tickets.add_note, ticket, body="已转仓库核实", by=agent_li)
    assert timers(ticket)[Metric.ACKNOWLEDGEMENT].state == TimerState.MET


def test_acknowledgement_targets_are_per_channel(opened):
    save_policy(
        by=None, name="确认", targets=[TargetSpec(Metric.ACKNOWLEDGEMENT, 3600, channel=Channel.EMAIL)]
    )
    assert Metric.ACKNOWLEDGEMENT not in timers(opened())


@pytest.mark.fault("B1")
@pytest.mark.parametrize("kind", ["created", "replied"])
def test_the_handler_is_idempotent(clock_policy, opened, kind, agent_li):
    from kefu.sla.timers import on_event
    from kefu.tickets.models import TicketEvent

    ticket = opened()
    event = TicketEvent.objects.filter(ticket=ticket, kind="created").first()
    before = list(SlaTimer.objects.filter(ticket=ticket).values_list("pk", "state", "due_at"))
    on_event(event.pk)
    on_event(event.pk)
    assert list(SlaTimer.objects.filter(ticket=ticket).values_list("pk", "state", "due_at")) == before


def test_the_green_channel_plan_does_not_pause(clock_policy, opened, run, agent_li):
    ticket = opened(subject="医疗器械故障", priority=Priority.URGENT)
    run(tickets.change_status, ticket, to="pending", by=agent_li)
    found = timers(ticket)
    assert found[Metric.SOLUTION_PLAN].state == TimerState.RUNNING
    assert found[Metric.RESOLUTION].state == TimerState.PAUSED


def test_the_green_tag_also_opens_the_green_channel(clock_policy, opened, run, agent_li, lead_zhao):
    ticket = opened(subject="生鲜退货")
    assert Metric.SOLUTION_PLAN not in timers(ticket)
    run(tickets.update_ticket, ticket, by=agent_li, version=ticket.version, tags=["绿色通道"])
    assert timers(ticket)[Metric.SOLUTION_PLAN].state == TimerState.RUNNING
    assert Notification.objects.filter(user=lead_zhao, kind="sla_green").count() == 1


def test_a_team_calendar_is_used_for_the_teams_tickets(opened, team_aftersales):
    from kefu.sla.services import save_calendar

    save_calendar(by=None, name="默认", weekly=[[["08:00", "20:00"]]] * 7, statutory=False, is_default=True)
    save_calendar(by=None, name="售后", weekly=[[["09:00", "17:00"]]] * 5 + [[], []], team=team_aftersales)
    save_policy(by=None, name="工作时间", targets=[TargetSpec(Metric.RESOLUTION, 8 * 3600)])
    assert timers(opened())[Metric.RESOLUTION].calendar.name == "默认"
    team_ticket = opened(subject="退货", team_id=team_aftersales.pk)
    assert timers(team_ticket)[Metric.RESOLUTION].calendar.name == "售后"


def test_recompute_all_starts_missing_timers(clock_policy, make_ticket, customer_x):
    from kefu.core import events
    from kefu.sla.timers import recompute_all

    with events.muted():  # written without reactions, like the demo's history
        ticket = make_ticket(customer_x)
    assert not SlaTimer.objects.filter(ticket=ticket).exists()
    assert recompute_all() == 2
    assert recompute_all() == 0
