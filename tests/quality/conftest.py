from __future__ import annotations

from datetime import datetime

import pytest

from kefu.core import events
from kefu.quality import services
from kefu.tickets import services as tickets
from kefu.tickets.models import Ticket, TicketType
from kefu.tickets.states import Status
from tests.clock import SHANGHAI
from tests.factories import CustomerFactory

# 服务态度 (critical, 30), 解决方案正确 (critical, 1–5, 40), 规范用语 (20), 首问负责 (10)
ITEMS = [
    {"section": "服务态度", "text": "服务态度", "weight": 30, "kind": "yes_no", "critical": True},
    {"section": "业务能力", "text": "解决方案正确", "weight": 40, "kind": "scale", "critical": True},
    {"section": "服务规范", "text": "规范用语", "weight": 20, "kind": "yes_no"},
    {"section": "服务规范", "text": "首问负责", "weight": 10, "kind": "yes_no"},
]


@pytest.fixture
def scorecard(lead_zhao):
    return services.save_scorecard(by=lead_zhao, name="标准质检表", items=ITEMS)


def item_ids(card):
    return [i.pk for i in card.items.order_by("position")]


def full_marks(card):
    a, b, c, d = item_ids(card)
    return {a: "yes", b: 5, c: "yes", d: "yes"}


@pytest.fixture
def solved_ticket(db):
    """A ticket of a fresh customer, replied to by `agent` and solved at `at` (handlers muted)."""
    counter = {"n": 0}

    def make(
        agent,
        *,
        at=datetime(2026, 6, 3, 12, tzinfo=SHANGHAI),
        replies=("您好，已为您查询，包裹明天送达。祝您生活愉快！",),
        type=TicketType.CONSULTATION,
        priority="normal",
        subject="订单还没发货",
    ):
        counter["n"] += 1
        customer = CustomerFactory(email=f"q{counter['n']}@example.cn")
        with events.muted():
            ticket = tickets.open_ticket(
                customer=customer,
                subject=subject,
                body="请帮忙查一下。",
                by=None,
                type=type,
                priority=priority,
            ).ticket
            tickets.update_ticket(ticket, by=agent, version=None, assignee=agent)
            for body in replies:
                tickets.reply(Ticket.objects.get(pk=ticket.pk), body=body, by=agent)
            ticket = Ticket.objects.get(pk=ticket.pk)
            tickets.update_ticket(ticket, by=agent, version=None, status=Status.SOLVED)
        Ticket.objects.filter(pk=ticket.pk).update(solved_at=at)
        return Ticket.objects.get(pk=ticket.pk)

    return make
