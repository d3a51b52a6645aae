"""`receive()`: the raw item and its result in one INSERT, and the bulk mode of an archive import."""

from __future__ import annotations

import pytest
from django.db import transaction

from kefu.customers.models import Customer, Organisation
from kefu.intake.models import InboundState, RawInbound
from kefu.intake.services import (
    InboundMessage,
    atomic_item,
    prefetch_senders,
    receive,
    receiving_many,
)
from kefu.tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db


def mail(
    external_id: str, *, sender: str = "zhou@example.cn", subject: str = "发票没收到", **extra
) -> InboundMessage:
    return InboundMessage(
        channel=Channel.EMAIL,
        external_id=external_id,
        from_email=sender,
        from_name="周先生",
        subject=subject,
        body_text="上周的订单还没有收到发票。",
        **extra,
    )


def test_the_raw_item_is_stored_with_its_result_and_a_repeat_answers_with_the_first():
    first = receive(mail("m1"))
    row = RawInbound.objects.get(channel=Channel.EMAIL, external_id="m1")
    assert row.state == InboundState.PROCESSED and row.processed_at is not None
    assert (row.ticket_id, row.message_id) == (first.ticket.pk, first.message.pk)
    again = receive(mail("m1"))
    assert not again.created and again.message.pk == first.message.pk
    assert Ticket.objects.count() == 1 and RawInbound.objects.count() == 1


def test_unseen_skips_the_lookup_yet_a_repeat_still_opens_nothing():
    first = receive(mail("m1"))
    # the caller claims it is new, but it is not: the unique key catches it and rolls it back whole
    again = receive(mail("m1"), unseen=True)
    assert not again.created and again.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1 and Customer.objects.count() == 1


def test_a_batch_finds_its_senders_with_one_query_and_matches_them_case_insensitively(
    django_assert_num_queries,
):
    known = Customer.objects.create(name="周", email="Zhou@Example.cn")
    others = [Customer.objects.create(name=f"客户{i}", email=f"c{i}@example.cn") for i in range(5)]
    with transaction.atomic(), receiving_many():
        with django_assert_num_queries(1):
            prefetch_senders(["zhou@example.cn"] + [c.email.upper() for c in others])
        received = [receive(mail(f"b{i}", sender=c.email), unseen=True) for i, c in enumerate(others)]
        mine = receive(mail("b-zhou", sender="zhou@EXAMPLE.cn"), unseen=True)
    assert [r.ticket.customer_id for r in received] == [c.pk for c in others]
    assert mine.ticket.customer_id == known.pk
    assert Customer.objects.count() == 6


def test_a_new_sender_in_a_batch_is_created_once_with_its_organisation():
    org = Organisation.objects.create(name="星河物流", domain="xinghe.example")
    with transaction.atomic(), receiving_many():
        prefetch_senders(["new@xinghe.example"])
        one = receive(mail("n1", sender="new@xinghe.example"), unseen=True)
        two = receive(mail("n2", sender="New@Xinghe.example", subject="又一封"), unseen=True)
    customer = Customer.objects.get(email="new@xinghe.example")
    assert one.ticket.customer_id == two.ticket.customer_id == customer.pk
    assert customer.organisation_id == org.pk and Customer.objects.count() == 1


def test_a_rolled_back_item_takes_its_new_customer_along_and_the_next_one_is_not_broken():
    """Rollback safety inside a batch: a customer created by an item that rolls back is gone, so
    the batch's cache must not hand it to a later item (its ticket would point at a missing row)."""
    with transaction.atomic(), receiving_many():
        prefetch_senders(["fresh@example.cn"])
        with pytest.raises(RuntimeError), atomic_item():
            receive(mail("r1", sender="fresh@example.cn"), unseen=True)
            raise RuntimeError("this item fails after its ticket was written")
        assert not Customer.objects.filter(email="fresh@example.cn").exists()
        kept = receive(mail("r2", sender="fresh@example.cn", subject="第二封"), unseen=True)
    customer = Customer.objects.get(email="fresh@example.cn")
    assert Ticket.objects.get().customer_id == customer.pk == kept.ticket.customer_id
    assert list(RawInbound.objects.values_list("external_id", flat=True)) == ["r2"]


@pytest.mark.fault("E9")
def test_html_the_caller_has_sanitised_is_stored_as_it_is_and_other_html_is_sanitised():
    trusted = receive(mail("h1", body_html="<p>已经<b>清理</b>过</p>", body_html_clean=True))
    assert trusted.message.body_html == "<p>已经<b>清理</b>过</p>"
    raw = receive(mail("h2", body_html='<p onclick="x()">未清理<script>alert(1)</script></p>'))
    assert raw.message.body_html == "<p>未清理</p>"
