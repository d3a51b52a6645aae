"""Customers and orders over the API: masking, unmasking in the audit log, merges, pushed orders."""

from __future__ import annotations

import pytest

from kefu.accounts.models import AuditEntry
from kefu.customers.models import Customer, Order
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def phoned(customer_x, make_ticket, team_aftersales):
    customer_x.phone = "13800138000"
    customer_x.save()
    make_ticket(customer_x, team=team_aftersales)  # agents read customers of their teams' tickets
    return customer_x


def test_phone_numbers_are_masked_for_agents_and_whole_for_their_owner(api, phoned, agent_li, lead_zhao):
    for user in (agent_li, lead_zhao):
        assert api.get(user, f"/customers/{phoned.pk}").json()["phone"] == "138****8000"
        listed = api.get(user, "/customers?q=张小明").json()["items"]
        assert [c["phone"] for c in listed] == ["138****8000"]
    assert api.get(phoned.user, f"/customers/{phoned.pk}").json()["phone"] == "13800138000"
    assert not AuditEntry.objects.filter(action="phone_unmask").exists()


def test_unmasking_is_for_supervisors_and_each_one_is_audited(api, phoned, agent_li, lead_zhao):
    refused = api.post(agent_li, f"/customers/{phoned.pk}/reveal-phone")
    assert refused.status_code == 403 and refused.json()["code"] == "unmask_forbidden"
    api.post(lead_zhao, f"/customers/{phoned.pk}/identities", {"kind": "phone", "value": "010-6552-1234"})
    shown = api.post(lead_zhao, f"/customers/{phoned.pk}/reveal-phone")
    assert shown.status_code == 200 and shown.json()["phones"] == ["13800138000", "01065521234"]
    api.post(lead_zhao, f"/customers/{phoned.pk}/reveal-phone")
    entries = AuditEntry.objects.filter(action="phone_unmask")
    assert entries.count() == 2 and {e.actor for e in entries} == {lead_zhao}
    assert entries.first().detail == {"customer": phoned.pk} and entries.first().ip == "127.0.0.1"
    identities = api.get(agent_li, f"/customers/{phoned.pk}").json()["identities"]
    assert [i["value"] for i in identities] == ["010****1234"]


def test_merge_over_the_api_is_for_supervisors_refused_into_itself_and_undone(
    api, customer_x, customer_y, agent_li, lead_zhao
):
    assert api.post(agent_li, f"/customers/{customer_y.pk}/merge", {"into": customer_x.pk}).status_code == 403
    itself = api.post(lead_zhao, f"/customers/{customer_x.pk}/merge", {"into": customer_x.pk})
    assert itself.status_code == 422 and itself.json()["code"] == "merge_refused"
    done = api.post(lead_zhao, f"/customers/{customer_y.pk}/merge", {"into": customer_x.pk})
    assert done.status_code == 200, done.json()
    third = Customer.objects.create(name="王五", email="wangwu@example.com")
    again = api.post(lead_zhao, f"/customers/{customer_y.pk}/merge", {"into": third.pk})
    assert again.status_code == 422 and "already merged" in again.json()["message"]
    undone = api.post(lead_zhao, f"/customers/merges/{done.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert Customer.objects.get(pk=customer_y.pk).merged_into_id is None


def test_a_customer_reads_only_their_own_orders(api, customer_x, customer_y, lead_zhao):
    body = {
        "order_id": "S-1",
        "customer_email": customer_x.email,
        "amount": "88.00",
        "ordered_at": "2026-06-01T10:00:00+08:00",
    }
    assert api.post(lead_zhao, "/orders", body).status_code == 201
    assert [o["order_id"] for o in api.get(customer_x.user, f"/customers/{customer_x.pk}/orders").json()] == [
        "S-1"
    ]
    assert api.get(customer_y.user, f"/customers/{customer_x.pk}/orders").status_code == 404


def test_an_order_pushed_twice_is_one_order_and_the_repeat_gets_the_first(api, lead_zhao, agent_li):
    body = {
        "order_id": "TM-9001",
        "shop": "tmall",
        "customer_email": "new.shopper@example.com",
        "customer_name": "陈静",
        "amount": "1999.00",
        "ordered_at": "2026-06-01T10:00:00+08:00",
    }
    assert api.post(agent_li, "/orders", body).status_code == 403
    first = api.post(lead_zhao, "/orders", body)
    assert first.status_code == 201
    repeat = api.post(lead_zhao, "/orders", {**body, "amount": "1.00"})
    assert repeat.status_code == 200 and repeat.json() == first.json()
    same_body = api.post(lead_zhao, "/orders", body)
    assert same_body.json() == first.json()
    assert (
        Order.objects.count() == 1 and Customer.objects.filter(email="new.shopper@example.com").count() == 1
    )
    other_shop = api.post(lead_zhao, "/orders", {**body, "shop": "jd"})
    assert other_shop.status_code == 201 and Order.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"customer_email": "nobody"}, "customer_email"),
        ({"customer_email": "", "phone": ""}, "customer_email"),
        ({"currency": "??"}, "currency"),
    ],
)
def test_a_bad_pushed_order_is_refused_naming_the_field(api, lead_zhao, change, field):
    body = {
        "order_id": "B-1",
        "customer_email": "a@example.com",
        "amount": "1",
        "ordered_at": "2026-06-01T10:00:00+08:00",
    }
    answer = api.post(lead_zhao, "/orders", {**body, **change})
    assert answer.status_code == 422 and answer.json()["field"] == field
    assert Order.objects.count() == 0
