from __future__ import annotations

import pytest

from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.states import Status


@pytest.fixture(autouse=True)
def _mail_at_once(settings):
    """Most tests follow the survey mail right after the solve; test_csat checks the default wait."""
    settings.KEFU_FEEDBACK = {"csat_send_after_minutes": 0}


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and run the handlers of the events it wrote (feedback's among them)."""

    def call(fn, *args, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kw)

    return call


@pytest.fixture
def open_ticket(run):
    def make(customer, *, subject="订单还没发货", channel=Channel.EMAIL, **kw):
        created = run(
            tickets.open_ticket,
            customer=customer,
            subject=subject,
            body=kw.pop("body", "请帮忙查一下。"),
            by=customer.user,
            channel=channel,
            **kw,
        )
        created.ticket.refresh_from_db()
        return created.ticket

    return make


@pytest.fixture
def solve(run):
    def make(ticket, agent):
        run(tickets.update_ticket, ticket, by=agent, version=None, assignee=agent)
        ticket.refresh_from_db()
        run(tickets.update_ticket, ticket, by=agent, version=None, status=Status.SOLVED)
        return Ticket.objects.get(pk=ticket.pk)

    return make


@pytest.fixture
def solved(open_ticket, solve, customer_x, agent_li, team_aftersales):
    def make(customer=None, *, channel=Channel.EMAIL, **kw):
        ticket = open_ticket(customer or customer_x, channel=channel, team=team_aftersales, **kw)
        return solve(ticket, agent_li)

    return make
