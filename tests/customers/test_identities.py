"""Intake finds the customer through any identity: a second address, a chat visitor id, a merge."""

from __future__ import annotations

import pytest

from kefu.customers.merging import merge_customers
from kefu.customers.models import Customer, IdentityKind
from kefu.customers.services import add_identity
from kefu.intake.services import InboundMessage, receive
from kefu.tickets.models import Channel

pytestmark = pytest.mark.django_db


def inbound(n, **kw):
    return InboundMessage(
        channel=Channel.WEB, external_id=f"id-{n}", subject="问一下", body_text="你好", **kw
    )


def test_a_second_address_opens_tickets_for_the_same_customer(customer_x):
    add_identity(customer_x, kind=IdentityKind.EMAIL, value="ming@work.example.cn")
    ticket = receive(inbound(1, from_email="Ming@Work.example.cn", from_name="小明")).ticket
    assert ticket.customer == customer_x
    assert Customer.objects.count() == 1


def test_a_chat_visitor_is_recognised_on_the_next_visit():
    first = receive(inbound(1, from_name="访客", from_visitor="v-123")).ticket.customer
    again = receive(inbound(2, from_visitor="v-123")).ticket.customer
    assert first == again and first.identities.get().value == "v-123"


def test_mail_from_a_merged_duplicate_goes_to_the_customer_it_was_merged_into(
    customer_x, customer_y, lead_zhao
):
    merge_customers(customer_y, into=customer_x, by=lead_zhao)
    ticket = receive(inbound(1, from_email=customer_y.email)).ticket
    assert ticket.customer == customer_x
