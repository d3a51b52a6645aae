"""An episode opens one incident (not one a minute), links the matching new tickets while it is
open, tells each contact once, writes its timeline; the broadcast goes once per ticket; a drill
is recorded the same way and writes nothing to customers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from kefu.accounts.models import Notification
from kefu.emergency import services
from kefu.emergency.errors import Conflict, DrillNoReplies
from kefu.emergency.models import Activation, IncidentTicket, TimelineEntry
from kefu.tickets.models import Message, MessageKind

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db]

MINUTE = timedelta(minutes=1)


@pytest.fixture
def burst(make_plan, ticket_at, t0, agent_li):
    plan = make_plan(
        min_count=3,
        steps=["确认原因", "通知技术部"],
        contact_ids=[agent_li.pk],
        contact_emails=["oncall@example.cn"],
        broadcast_text="{{ customer_name }}您好，工单 {{ ticket_number }} 已收到，我们正在处理。",
        cooldown_minutes=60,
    )
    made = [ticket_at(t0, m) for m in (5, 10, 15, 20)]
    return plan, made


def test_one_incident_per_episode_and_new_tickets_join_it(burst, ticket_at, t0, agent_li):
    plan, made = burst
    assert services.watch(at=t0) == 1
    activation = Activation.objects.get()
    assert activation.source == "trigger" and not activation.is_drill and activation.status == "open"
    assert activation.figures["count"] == 4
    assert sorted(IncidentTicket.objects.values_list("ticket_id", flat=True)) == sorted(t.pk for t in made)
    # still high the next minutes: no second incident, no second notice or mail
    later = ticket_at(t0 + MINUTE, 0)
    assert services.watch(at=t0 + MINUTE) == 0
    assert services.watch(at=t0 + 2 * MINUTE) == 0
    assert Activation.objects.count() == 1
    assert IncidentTicket.objects.filter(ticket=later).exists()
    assert Notification.objects.filter(user=agent_li, kind="emergency").count() == 1
    assert [m.to for m in mail.outbox] == [["oncall@example.cn"]]
    kinds = list(TimelineEntry.objects.filter(activation=activation).values_list("kind", flat=True))
    assert kinds[0] == "fired" and kinds.count("notified") == 2 and kinds.count("linked") == 2


def test_resolved_incident_cools_down_before_it_can_fire_again(burst, lead_zhao, t0):
    plan, _made = burst
    services.watch(at=t0)
    activation = Activation.objects.get()
    services.resolve(activation, by=lead_zhao)
    with pytest.raises(Conflict):
        services.resolve(activation, by=lead_zhao)
    resolved_at = Activation.objects.get().resolved_at
    assert services.watch_plan(plan, at=resolved_at + 30 * MINUTE) is None  # cooling down, still high
    assert Activation.objects.count() == 1
    plan.cooldown_minutes = 0
    plan.save()
    again = services.watch_plan(plan, at=resolved_at + 30 * MINUTE)  # without a cool-down: a new episode
    assert again is not None and Activation.objects.count() == 2


def test_steps_are_ticked_once_and_the_broadcast_goes_once_per_ticket(burst, lead_zhao, t0):
    plan, made = burst
    services.watch(at=t0)
    activation = Activation.objects.get()
    assert services.tick_step(activation, index=1, by=lead_zhao) is True
    assert services.tick_step(activation, index=1, by=lead_zhao) is False
    assert services.broadcast(activation, by=lead_zhao) == 4
    assert services.broadcast(activation, by=lead_zhao) == 0
    replies = Message.objects.filter(kind=MessageKind.PUBLIC, author=lead_zhao)
    assert replies.count() == 4
    assert sorted(replies.values_list("ticket_id", flat=True)) == sorted(t.pk for t in made)
    assert f"工单 {made[0].number} 已收到" in replies.get(ticket=made[0]).body_text
    assert "张小明您好" in replies.get(ticket=made[0]).body_text
    entries = list(TimelineEntry.objects.filter(activation=activation).values_list("kind", "text"))
    assert ("step", "Step 2 done: 通知技术部") in entries
    assert sum(1 for kind, _t in entries if kind == "broadcast") == 1


def test_manual_activation_while_one_is_open_is_refused(burst, lead_zhao, t0):
    plan, _made = burst
    first = services.activate(plan, by=lead_zhao, note="客户反馈大量无法登录")
    assert first.source == "manual" and IncidentTicket.objects.filter(activation=first).count() == 4
    with pytest.raises(Conflict) as again:
        services.activate(plan, by=lead_zhao)
    assert again.value.code == "already_open"
    assert services.watch(at=t0) == 0  # the trigger joins the open incident
    assert Activation.objects.count() == 1


def test_a_drill_is_recorded_but_writes_nothing_to_customers(burst, lead_zhao, agent_li):
    plan, _made = burst
    before = Message.objects.count()
    drill = services.activate(plan, by=lead_zhao, drill=True)
    assert drill.is_drill and drill.source == "drill"
    assert IncidentTicket.objects.filter(activation=drill).count() == 0
    with pytest.raises(DrillNoReplies):
        services.broadcast(drill, by=lead_zhao)
    assert Message.objects.count() == before
    assert Notification.objects.get(user=agent_li).text.startswith("[Drill]")
    assert services.tick_step(drill, index=0, by=lead_zhao)
    services.resolve(drill, by=lead_zhao)
    kinds = list(TimelineEntry.objects.filter(activation=drill).values_list("kind", flat=True))
    assert kinds == ["started", "notified", "notified", "step", "resolved"]
    # a drill does not hold back a real incident
    assert services.activate(plan, by=lead_zhao).is_drill is False
