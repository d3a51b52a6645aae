"""Assignment: rules, availability, VIP → senior, least busy then round-robin, caps, first-contact owner."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role, Skill
from kefu.customers.models import Tier
from kefu.routing.errors import RuleInvalid
from kefu.routing.models import AgentLoad, AgentStatus, AssignmentLog, Presence
from kefu.routing.selectors import repeat_dispatch_rate
from kefu.routing.services import rules
from kefu.routing.services.assignment import auto_assign, today
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, TicketEvent
from tests.factories import UserFactory


def test_least_busy_then_round_robin_in_the_team(
    agent_li, agent_wang, agent_tech, customer_x, route, team_aftersales
):
    owners = [route(customer_x, f"问题{i}", "请帮忙", team=team_aftersales).assignee for i in range(2)]
    # first-contact ownership would send the same customer back to one agent; use distinct customers
    assert owners[0] in (agent_li, agent_wang)


def test_spread_over_the_team_by_workload(agent_li, agent_wang, agent_tech, route, team_aftersales):
    from tests.factories import CustomerFactory

    got = []
    for i in range(4):
        customer = CustomerFactory(name=f"客户{i}", email=f"c{i}@example.cn")
        got.append(route(customer, f"问题{i}", "请帮忙", team=team_aftersales).assignee)
    assert got.count(agent_li) == 2 and got.count(agent_wang) == 2  # never agent_tech (other team)
    assert all(log.reason == "least_busy" for log in AssignmentLog.objects.all())
    assert TicketEvent.objects.filter(kind="assigned").count() == 4


def test_unavailable_agents_are_skipped(agent_li, agent_wang, customer_x, route, team_aftersales):
    AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE)
    day_off = "".join(d for d in "1234567" if d != str(today().isoweekday()))
    AgentStatus.objects.create(agent=agent_wang, presence=Presence.ONLINE, working_days=day_off)
    ticket = route(customer_x, team=team_aftersales)
    assert ticket.assignee is None
    log = AssignmentLog.objects.get(ticket=ticket)
    assert log.reason == "unassigned" and "no eligible agent" in log.detail


def test_chat_needs_an_online_agent_and_respects_the_chat_cap(
    agent_li, agent_wang, route, team_aftersales, lead_zhao
):
    from tests.factories import CustomerFactory

    AgentStatus.objects.create(agent=agent_wang, presence=Presence.AWAY)
    rules.update_settings(by=lead_zhao, chat_cap=1)
    a = route(CustomerFactory(email="a@x.cn"), channel=Channel.CHAT, team=team_aftersales)
    b = route(CustomerFactory(email="b@x.cn"), channel=Channel.CHAT, team=team_aftersales)
    assert a.assignee == agent_li
    assert b.assignee is None  # li has one open chat (cap 1); wang is away


def test_vip_goes_to_a_senior_agent(agent_li, agent_wang, customer_x, route, team_aftersales):
    senior = UserFactory(username="senior_he", role=Role.SENIOR_AGENT, teams=[team_aftersales])
    customer_x.tier = Tier.PREMIUM_VIP
    customer_x.save()
    ticket = route(customer_x, team=team_aftersales)
    assert ticket.assignee == senior


def test_rule_with_skill_and_team(agent_li, agent_wang, agent_tech, customer_x, route, lead_zhao, team_tech):
    skill = Skill.objects.create(name="退款")
    agent_wang.skills.add(skill)
    rules.save_assignment_rule(
        by=lead_zhao, name="退款", conditions={"keyword": "退款"}, skill=skill, position=1
    )
    rules.save_assignment_rule(
        by=lead_zhao, name="技术", conditions={"keyword": "APP"}, team=team_tech, position=2
    )
    refund = route(customer_x, "申请退款", "我要退款")
    assert refund.assignee == agent_wang
    log = AssignmentLog.objects.get(ticket=refund)
    assert log.reason == "rule" and log.rule.name == "退款"
    from tests.factories import CustomerFactory

    tech = route(CustomerFactory(email="t@x.cn"), "APP打不开", "APP闪退")
    assert tech.assignee == agent_tech and tech.team == team_tech


@pytest.mark.parametrize(
    "conditions, reason",
    [
        ({"colour": "red"}, "Unknown condition field colour"),
        ({"channel": "fax"}, "fax is not a valid channel"),
    ],
)
def test_invalid_assignment_rule_is_rejected(lead_zhao, team_tech, conditions, reason):
    with pytest.raises(RuleInvalid, match=reason):
        rules.save_assignment_rule(by=lead_zhao, name="x", conditions=conditions, team=team_tech)


def test_rule_without_effect_is_rejected(lead_zhao):
    with pytest.raises(RuleInvalid, match="must choose"):
        rules.save_assignment_rule(by=lead_zhao, name="x", conditions={"type": "complaint"})


def test_daily_cap(agent_li, route, team_aftersales, lead_zhao):
    from tests.factories import CustomerFactory

    rules.update_settings(by=lead_zhao, daily_cap=2)
    got = [route(CustomerFactory(email=f"d{i}@x.cn"), team=team_aftersales).assignee for i in range(3)]
    assert got == [agent_li, agent_li, None]
    assert AgentLoad.objects.get(agent=agent_li, day=today()).assigned == 2


def test_returning_customer_goes_back_to_the_first_owner(
    agent_li, agent_wang, customer_x, route, team_aftersales
):
    first = route(customer_x, team=team_aftersales)
    owner = first.assignee
    tickets.reply(first, body="您好，我来处理", by=owner)
    second = route(customer_x, "又一个问题", "还是那个订单", team=team_aftersales)
    assert second.assignee == owner
    assert AssignmentLog.objects.get(ticket=second).reason == "returning_customer"


def test_a_ticket_about_the_same_order_goes_to_that_orders_owner(
    agent_li, agent_wang, customer_x, route, team_aftersales
):
    """首问负责: the customer's latest owner handled another order; this order's owner gets it back."""
    earlier = route(customer_x, "退货", "订单号 YS20261101000123 想退货", team=team_aftersales)
    tickets.reply(earlier, body="您好，我来处理退货", by=agent_wang)
    other = route(customer_x, "发票", "订单号 YS20261105000999 要开发票", team=team_aftersales)
    tickets.reply(other, body="您好，发票我来开", by=agent_li)
    again = route(customer_x, "退款还没到", "订单 YS20261101000123 的退款还没到账", team=team_aftersales)
    assert again.order_ref == "YS20261101000123"
    assert again.assignee == agent_wang
    assert AssignmentLog.objects.get(ticket=again).reason == "same_order"


def test_reopened_ticket_returns_to_its_first_owner(
    agent_li, agent_wang, lead_zhao, customer_x, route, team_aftersales, django_capture_on_commit_callbacks
):
    ticket = route(customer_x, team=team_aftersales)
    owner = ticket.assignee
    tickets.reply(ticket, body="已处理", by=owner)
    ticket.refresh_from_db()
    tickets.change_status(ticket, to="solved", by=owner)
    ticket = tickets.assign(ticket, to=None, by=lead_zhao)  # owner moved on; the ticket lost its assignee
    with django_capture_on_commit_callbacks(execute=True):
        tickets.reply(ticket, body="问题又出现了", by=customer_x.user)
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.assignee == owner
    assert AssignmentLog.objects.filter(ticket=ticket).first().reason == "reopened"


def test_repeat_dispatch_rate(agent_li, agent_wang, lead_zhao, customer_x, route, team_aftersales):
    from tests.factories import CustomerFactory

    a = route(customer_x, team=team_aftersales)
    route(CustomerFactory(email="r@x.cn"), team=team_aftersales)
    other = agent_wang if a.assignee == agent_li else agent_li
    tickets.assign(a, to=other, by=lead_zhao)
    assert repeat_dispatch_rate() == {"assigned": 2, "repeated": 1, "rate": 0.5}


def test_auto_assign_twice_is_a_no_op(agent_li, customer_x, route, team_aftersales):
    ticket = route(customer_x, team=team_aftersales)
    assert auto_assign(ticket).reason == "already_assigned"
    assert AgentLoad.objects.get(agent=agent_li).assigned == 1


def test_a_waiting_ticket_goes_to_the_agent_who_comes_online(
    agent_li, customer_x, route, team_aftersales, django_capture_on_commit_callbacks
):
    from kefu.routing.services.assignment import set_presence

    AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE)  # the night shift is empty
    ticket = route(customer_x, "半夜的邮件", "订单还没发货。", team=team_aftersales)
    assert ticket.assignee is None
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=agent_li, presence=Presence.ONLINE)  # morning: 李娜 clicks 在线
    ticket.refresh_from_db()
    assert ticket.assignee == agent_li
    assert AssignmentLog.objects.filter(ticket=ticket).latest("id").agent == agent_li
    assert AgentLoad.objects.get(agent=agent_li, day=today()).assigned == 1  # it counts against the cap


@pytest.mark.fault("B5")
def test_the_periodic_retry_logs_nobody_available_once_and_leaves_deliberate_unassigns_alone(
    agent_li, agent_wang, customer_x, customer_y, route, team_aftersales
):
    from kefu.routing.services.assignment import route_waiting

    AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE)
    AgentStatus.objects.create(agent=agent_wang, presence=Presence.OFFLINE)
    waiting = route(customer_x, "等待分配", "请帮忙", team=team_aftersales)
    assert route_waiting() == 0 and route_waiting() == 0
    assert AssignmentLog.objects.filter(ticket=waiting, reason="unassigned").count() == 1

    AgentStatus.objects.filter(agent=agent_wang).update(presence=Presence.ONLINE)
    put_back = route(customer_y, "王芳放回队列的工单", "请帮忙", team=team_aftersales)
    assert put_back.assignee == agent_wang
    # 王芳 puts it back in the queue on purpose
    tickets.assign(put_back, to=None, by=agent_wang, version=put_back.version)
    assert route_waiting() == 1  # only the ticket that was waiting for someone
    waiting.refresh_from_db()
    put_back.refresh_from_db()
    assert waiting.assignee == agent_wang and put_back.assignee is None


def test_supervisors_see_how_many_tickets_wait_for_a_free_agent(
    client, lead_zhao, agent_li, customer_x, customer_y, route, team_aftersales
):
    AgentStatus.objects.create(agent=agent_li, presence=Presence.OFFLINE)
    AgentStatus.objects.create(agent=lead_zhao, presence=Presence.OFFLINE)  # supervisors take tickets too
    route(customer_x, "等一等", "请帮忙", team=team_aftersales)
    route(customer_y, "再等等", "请帮忙", team=team_aftersales)
    client.force_login(lead_zhao)
    page = client.get("/agent/routing/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2 个工单等待空闲客服" in page and 'href="/agent/?view=unassigned"' in page
