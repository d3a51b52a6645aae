"""Merging duplicate customers keeps all history and can be undone from its record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditEntry
from kefu.customers.errors import IdentityTaken, MergeRefused, UnmergeRefused
from kefu.customers.merging import merge_customers, unmerge
from kefu.customers.models import Customer, CustomerIdentity, CustomerMerge, IdentityKind, Order
from kefu.customers.services import (
    add_identity,
    add_note,
    find_or_create_customer,
    resolve_customer,
    set_tags,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(customer_x, customer_y, make_ticket, lead_zhao):
    """customer_y turns out to be customer_x under another address: a ticket, an order, a note, tags."""
    customer_y.phone = "13800138000"
    customer_y.save()
    make_ticket(customer_y, subject="退货申请")
    make_ticket(customer_x, subject="发票")
    Order.objects.create(
        order_id="Y-1", customer=customer_y, amount=Decimal("12000"), ordered_at=timezone.now()
    )
    add_identity(customer_y, kind=IdentityKind.VISITOR, value="visitor-42")
    add_note(customer_y, body="喜欢电话联系", by=lead_zhao)
    set_tags(customer_y, names=["老客户", "北京"])
    set_tags(customer_x, names=["北京"])
    return customer_y


def test_a_merge_moves_all_history_and_the_duplicate_answers_for_the_target(duplicate, customer_x, lead_zhao):
    merge = merge_customers(duplicate, into=customer_x, by=lead_zhao)
    duplicate.refresh_from_db()
    customer_x.refresh_from_db()
    assert duplicate.merged_into_id == customer_x.pk
    assert sorted(customer_x.tickets.values_list("subject", flat=True)) == ["发票", "退货申请"]
    assert duplicate.tickets.count() == 0
    assert list(customer_x.orders.values_list("order_id", flat=True)) == ["Y-1"]
    assert customer_x.note_entries.get().body == "喜欢电话联系"
    assert sorted(customer_x.tags.values_list("name", flat=True)) == ["北京", "老客户"]
    # the duplicate's address, number and visitor id now find the target
    assert find_or_create_customer(email="liuyang@example.org") == customer_x
    assert resolve_customer(kind=IdentityKind.PHONE, value="138-0013-8000") == customer_x
    assert resolve_customer(kind=IdentityKind.VISITOR, value="visitor-42") == customer_x
    assert customer_x.tier == "vip"  # the moved 12,000 CNY order counts for the target
    entry = AuditEntry.objects.get(action="customer_merge")
    assert entry.actor == lead_zhao and entry.detail["merge"] == merge.pk and entry.row_count >= 4


def test_unmerge_restores_exactly_what_moved(duplicate, customer_x, lead_zhao, make_ticket):
    merge = merge_customers(duplicate, into=customer_x, by=lead_zhao)
    later = make_ticket(customer_x, subject="合并后的新工单")  # the target's own, after the merge
    unmerge(merge, by=lead_zhao)
    duplicate.refresh_from_db()
    customer_x.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert list(duplicate.tickets.values_list("subject", flat=True)) == ["退货申请"]
    assert sorted(customer_x.tickets.values_list("subject", flat=True)) == ["发票", later.subject]
    assert list(duplicate.orders.values_list("order_id", flat=True)) == ["Y-1"]
    assert list(customer_x.tags.values_list("name", flat=True)) == ["北京"]
    assert not CustomerIdentity.objects.filter(customer=customer_x).exists()
    assert resolve_customer(kind=IdentityKind.EMAIL, value="liuyang@example.org") == duplicate
    assert resolve_customer(kind=IdentityKind.VISITOR, value="visitor-42") == duplicate
    assert (duplicate.tier, customer_x.tier) == ("vip", "regular")
    assert AuditEntry.objects.filter(action="customer_unmerge", actor=lead_zhao).count() == 1
    with pytest.raises(UnmergeRefused):
        unmerge(merge, by=lead_zhao)


def test_merging_into_itself_or_an_already_merged_customer_is_refused(customer_x, customer_y, lead_zhao):
    third = Customer.objects.create(name="王五", email="wangwu@example.com")
    with pytest.raises(MergeRefused, match="itself"):
        merge_customers(customer_x, into=customer_x, by=lead_zhao)
    merge_customers(customer_y, into=customer_x, by=lead_zhao)
    with pytest.raises(MergeRefused, match="already merged"):
        merge_customers(third, into=customer_y, by=lead_zhao)  # into one merged away
    with pytest.raises(MergeRefused, match="already merged"):
        merge_customers(customer_y, into=third, by=lead_zhao)  # merged twice
    assert CustomerMerge.objects.count() == 1


def test_an_unmerge_waits_for_a_later_merge_of_the_target_to_be_undone(customer_x, customer_y, lead_zhao):
    third = Customer.objects.create(name="王五", email="wangwu@example.com")
    first = merge_customers(customer_y, into=customer_x, by=lead_zhao)
    second = merge_customers(customer_x, into=third, by=lead_zhao)
    assert find_or_create_customer(email="liuyang@example.org") == third  # follows the chain
    with pytest.raises(UnmergeRefused):
        unmerge(first, by=lead_zhao)
    unmerge(second, by=lead_zhao)
    unmerge(first, by=lead_zhao)
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_an_identity_names_one_customer(customer_x, customer_y):
    add_identity(customer_x, kind=IdentityKind.EMAIL, value="Ming.Work@Example.CN")
    assert find_or_create_customer(email="ming.work@example.cn") == customer_x
    with pytest.raises(IdentityTaken):
        add_identity(customer_y, kind=IdentityKind.EMAIL, value="ming.work@example.cn")
    with pytest.raises(IdentityTaken):
        add_identity(customer_y, kind=IdentityKind.EMAIL, value="xiaoming@example.cn")  # x's primary
    add_identity(customer_x, kind=IdentityKind.EXTERNAL, value="tmall:88001")
    assert resolve_customer(kind=IdentityKind.EXTERNAL, value="tmall:88001") == customer_x
