"""The Order table: one row per shop and order number."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kefu.customers.models import Order

pytestmark = pytest.mark.django_db


def test_an_order_number_is_unique_within_its_shop_only(customer_x, customer_y):
    now = timezone.now()
    Order.objects.create(order_id="A-1", customer=customer_x, amount=Decimal("10.50"), ordered_at=now)
    Order.objects.create(
        order_id="A-1", shop="tmall", customer=customer_y, amount=Decimal("3"), ordered_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(order_id="A-1", customer=customer_y, amount=Decimal("1"), ordered_at=now)
    assert list(customer_x.orders.values_list("amount", "currency")) == [(Decimal("10.50"), "CNY")]
