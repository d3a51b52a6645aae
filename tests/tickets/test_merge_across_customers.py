"""Merging is refused across customers (ADR 0012): customer B must never read customer A's messages
or files because an agent merged A's ticket into B's (issue 13)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kefu.tickets import services
from kefu.tickets.errors import MergeAcrossCustomers
from kefu.tickets.models import Ticket
from kefu.tickets.services import Upload
from tests.factories import OrganisationFactory

SECRET = "我的身份证号 110101199001011234，收货地址北京市朝阳区某某路 8 号。"


def browser(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def ticket_a(customer_x, team_aftersales, make_ticket):
    receipt = Upload("发票.pdf", b"%PDF-1.4 A's invoice", "application/pdf")
    return make_ticket(
        customer_x, subject="耳机退货", body=SECRET, team=team_aftersales, attachments=(receipt,)
    )


@pytest.fixture
def ticket_b(customer_y, team_aftersales, make_ticket):
    return make_ticket(customer_y, subject="耳机退货怎么办", body="我也想退货。", team=team_aftersales)


def portal_sees_nothing_of_a(customer, ticket_a, ticket_b) -> None:
    client = browser(customer.user)
    page = client.get(reverse("portal:ticket", args=[ticket_b.pk]))
    assert page.status_code == 200 and SECRET not in page.content.decode()
    attachment = ticket_a.attachments.get()
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("portal:ticket", args=[ticket_a.pk])).status_code == 404


@pytest.mark.fault("F1")
def test_the_service_refuses_with_a_typed_error_naming_the_field(ticket_a, ticket_b, agent_li):
    with pytest.raises(MergeAcrossCustomers) as refused:
        services.merge(ticket_a, into=ticket_b, by=agent_li)
    assert refused.value.code == "merge_across_customers" and refused.value.field == "into"
    assert refused.value.status == 422 and ticket_b.number in refused.value.message
    assert Ticket.objects.get(pk=ticket_a.pk).merged_into_id is None
    assert ticket_a.messages.filter(body_text=SECRET).exists()
    assert not ticket_a.events.filter(kind="merged").exists()


def test_the_agent_form_shows_the_rule_before_and_the_refusal_after(ticket_a, ticket_b, agent_li, customer_y):
    li = browser(agent_li)
    page = li.get(reverse("agent:ticket", args=[ticket_a.pk])).content.decode()
    hint = page.split('data-testid="merge-form"')[1].split("</form>")[0]
    assert "Only tickets of the same customer" in hint

    refused = li.post(reverse("agent:merge", args=[ticket_a.pk]), {"into": ticket_b.number})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'data-error-code="merge_across_customers"' in body
    assert f"{ticket_b.number} belongs to another customer" in body
    assert Ticket.objects.get(pk=ticket_a.pk).merged_into_id is None
    portal_sees_nothing_of_a(customer_y, ticket_a, ticket_b)


def test_the_agent_page_says_it_in_chinese_too(ticket_a, ticket_b, agent_li):
    li = browser(agent_li)
    li.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = li.get(reverse("agent:ticket", args=[ticket_a.pk])).content.decode()
    assert "只能合并同一客户（或共享工单的同一组织）的工单" in page
    refused = li.post(reverse("agent:merge", args=[ticket_a.pk]), {"into": ticket_b.number})
    assert "属于另一位客户" in refused.content.decode()


def test_same_customer_still_merges(ticket_a, customer_x, team_aftersales, make_ticket, agent_li):
    again = make_ticket(customer_x, subject="耳机退货（再问一次）", team=team_aftersales)
    response = browser(agent_li).post(reverse("agent:merge", args=[again.pk]), {"into": ticket_a.number})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=again.pk).merged_into_id == ticket_a.pk


def test_an_organisation_that_shares_its_tickets_may_merge_its_members_tickets(
    ticket_a, ticket_b, customer_x, customer_y, agent_li
):
    company = OrganisationFactory(name="小米之家", share_tickets=True)
    for customer in (customer_x, customer_y):
        customer.organisation = company
        customer.save(update_fields=["organisation"])
    ticket_a.refresh_from_db()
    ticket_b.refresh_from_db()
    services.merge(ticket_a, into=ticket_b, by=agent_li)
    # Each member already read the other's tickets; after the merge both read the survivor.
    for customer in (customer_x, customer_y):
        page = browser(customer.user).get(reverse("portal:ticket", args=[ticket_b.pk]))
        assert SECRET in page.content.decode()


def test_an_organisation_that_does_not_share_is_two_customers(
    ticket_a, ticket_b, customer_x, customer_y, agent_li
):
    company = OrganisationFactory(name="不共享的公司", share_tickets=False)
    for customer in (customer_x, customer_y):
        customer.organisation = company
        customer.save(update_fields=["organisation"])
    ticket_a.refresh_from_db()
    ticket_b.refresh_from_db()
    with pytest.raises(MergeAcrossCustomers):
        services.merge(ticket_a, into=ticket_b, by=agent_li)
    portal_sees_nothing_of_a(customer_y, ticket_a, ticket_b)
