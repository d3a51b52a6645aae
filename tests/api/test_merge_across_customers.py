"""`POST /api/tickets/{id}/merge` across customers is a 422 with a field, and B never reads A's words."""

from __future__ import annotations

import pytest

from kefu.tickets.models import Ticket
from kefu.tickets.services import Upload

SECRET = "我的手机号 13800138000，请打这个电话联系我。"


@pytest.fixture
def ticket_a(customer_x, team_aftersales, make_ticket):
    receipt = Upload("收据.pdf", b"%PDF-1.4 A's receipt", "application/pdf")
    return make_ticket(
        customer_x, subject="发票问题", body=SECRET, team=team_aftersales, attachments=(receipt,)
    )


@pytest.fixture
def ticket_b(customer_y, team_aftersales, make_ticket):
    return make_ticket(customer_y, subject="发票问题", body="我的发票也有问题。", team=team_aftersales)


@pytest.mark.fault("A2", "F1")
def test_merging_another_customers_ticket_is_refused(api, agent_li, customer_y, ticket_a, ticket_b):
    response = api.post(agent_li, f"/tickets/{ticket_a.pk}/merge", {"into": ticket_b.pk})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "merge_across_customers" and body["field"] == "into"
    assert ticket_b.number in body["message"]
    assert Ticket.objects.get(pk=ticket_a.pk).merged_into_id is None

    # Customer B reads their own ticket: nothing of A's, and A's file stays out of reach.
    theirs = api.get(customer_y.user, f"/tickets/{ticket_b.pk}")
    assert theirs.status_code == 200
    assert SECRET not in [m["body_text"] for m in theirs.json()["messages"]]
    attachment = ticket_a.attachments.get()
    assert api.get(customer_y.user, f"/attachments/{attachment.pk}").status_code == 404


@pytest.mark.fault("A1")
def test_the_answer_is_in_chinese_for_a_chinese_agent(api, agent_li, ticket_a, ticket_b):
    response = api.post(
        agent_li,
        f"/tickets/{ticket_a.pk}/merge",
        {"into": ticket_b.pk},
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 422 and "属于另一位客户" in response.json()["message"]


def test_merging_the_same_customers_tickets_still_works(
    api, agent_li, customer_x, team_aftersales, make_ticket, ticket_a
):
    again = make_ticket(customer_x, subject="发票问题（补充）", team=team_aftersales)
    response = api.post(agent_li, f"/tickets/{again.pk}/merge", {"into": ticket_a.pk})
    assert response.status_code == 200 and response.json()["id"] == ticket_a.pk
