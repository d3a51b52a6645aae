from __future__ import annotations

import pytest

from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, TicketType


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and run the handlers of the events it wrote (care's among them)."""

    def call(fn, *args, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kw)

    return call


@pytest.fixture
def open_ticket(run):
    """Open a ticket through tickets.services as the customer, handlers run after commit."""

    def make(customer, *, subject="订单还没发货", body="请帮忙查一下。", type=TicketType.CONSULTATION, **kw):
        created = run(
            tickets.open_ticket,
            customer=customer,
            subject=subject,
            body=body,
            by=customer.user,
            type=type,
            channel=kw.pop("channel", Channel.WEB),
            **kw,
        )
        created.ticket.refresh_from_db()
        return created.ticket

    return make


@pytest.fixture
def complaint(open_ticket):
    def make(customer, *, order="YS20260601000123", **kw):
        return open_ticket(
            customer,
            subject=kw.pop("subject", f"投诉：订单号 {order} 商品破损"),
            body=kw.pop("body", "收到的商品是坏的，客服一直不处理。"),
            type=TicketType.COMPLAINT,
            **kw,
        )

    return make
