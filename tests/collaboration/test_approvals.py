"""Approvals of special requests: the approver comes from the rules, a green-channel case has a
2-hour target, a rejection needs a reason, and the decision lands in the ticket's history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kefu.collaboration import approvals
from kefu.collaboration.models import Approval, ApprovalRule
from kefu.tickets.models import Message, MessageKind
from tests.api.conftest import Api
from tests.factories import UserFactory


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def rules(lead_zhao, db):
    finance = UserFactory(username="finance_he", display_name="何财务", role="supervisor")
    ApprovalRule.objects.create(kind="refund", min_amount=Decimal("0"), approver=lead_zhao)
    ApprovalRule.objects.create(kind="refund", min_amount=Decimal("1000"), approver=finance)
    ApprovalRule.objects.create(kind="green_channel", approver=lead_zhao)
    return finance


def test_the_approver_comes_from_the_rule_by_amount(ticket, agent_li, lead_zhao, rules):
    small = approvals.request_approval(
        ticket, kind="refund", description="超额退款 800", amount=Decimal("800"), by=agent_li
    )
    big = approvals.request_approval(
        ticket, kind="refund", description="超额退款 3000", amount=Decimal("3000"), by=agent_li
    )
    assert small.approver == lead_zhao and big.approver == rules
    assert small.due_at is None


def test_a_green_channel_case_has_a_two_hour_target(ticket, agent_li, rules):
    found = approvals.request_approval(
        ticket, kind="green_channel", description="孕妇客户，急需换货", by=agent_li
    )
    assert found.due_at - found.created_at == timedelta(hours=2)


def test_refused_without_a_rule_or_an_amount(ticket, agent_li, rules):
    with pytest.raises(approvals.ValidationFailed) as no_rule:
        approvals.request_approval(ticket, kind="key_customer", description="例外", by=agent_li)
    assert no_rule.value.field == "kind"
    with pytest.raises(approvals.ValidationFailed) as no_amount:
        approvals.request_approval(ticket, kind="refund", description="退款", by=agent_li)
    assert no_amount.value.field == "amount"


def test_the_decision_goes_to_the_ticket_history_once(api, ticket, agent_li, agent_wang, lead_zhao, rules):
    asked = api.post(
        agent_li,
        f"/collab/tickets/{ticket.pk}/approvals",
        {"kind": "refund", "description": "超额退款", "amount": "800"},
    )
    assert asked.status_code == 201, asked.content
    pk = asked.json()["id"]
    assert api.post(agent_wang, f"/collab/approvals/{pk}/decide", {"approve": True}).status_code == 403
    no_reason = api.post(lead_zhao, f"/collab/approvals/{pk}/decide", {"approve": False, "reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    rejected = api.post(
        lead_zhao, f"/collab/approvals/{pk}/decide", {"approve": False, "reason": "超出政策范围"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = api.post(lead_zhao, f"/collab/approvals/{pk}/decide", {"approve": True})
    assert again.status_code == 409
    note = Message.objects.filter(ticket=ticket, kind=MessageKind.INTERNAL).last()
    assert "超出政策范围" in note.body_text and lead_zhao.name in note.body_text
    assert Approval.objects.get(pk=pk).decided_by == lead_zhao
