"""Staff suggestions: an agent proposes, the plan's owner accepts it as an action (owned by the
proposer) or declines it with a reason, and rewards an accepted one; the proposer and the owner are
told; bad input and people who may not see the plan get typed 4xx answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.accounts.models import Notification
from kefu.plans import services, suggestions
from kefu.plans.errors import AlreadyDecided, PermissionDenied, ReasonRequired
from kefu.plans.models import Action, ScopeKind, Suggestion
from tests.api.conftest import Api

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def plan(db, lead_zhao, team_aftersales):
    return services.create_plan(
        title="售后组六月计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        prefill_review=False,
    )


def test_propose_accept_and_reward(plan, lead_zhao, agent_li):
    idea = suggestions.propose(plan, title="退货流程加一个自助入口", body="减少重复来电", by=agent_li)
    assert Notification.objects.filter(user=lead_zhao, kind="plan_suggestion").count() == 1
    accepted = suggestions.accept(idea, by=lead_zhao, kind="tools")
    action = accepted.action
    assert accepted.status == "accepted" and accepted.decided_by == lead_zhao
    assert (action.title, action.owner, action.kind, action.due) == (
        "退货流程加一个自助入口",
        agent_li,
        "tools",
        plan.end,
    )
    assert action.resources == "减少重复来电" and str(action.start) == "2026-06-10"
    rewarded = suggestions.reward(accepted, text="月度创新奖", amount="200", by=lead_zhao)
    assert (rewarded.reward, rewarded.reward_amount, rewarded.rewarded_by) == (
        "月度创新奖",
        Decimal("200.00"),
        lead_zhao,
    )
    assert rewarded.rewarded_at is not None
    assert Notification.objects.filter(user=agent_li, kind="plan_suggestion").count() == 2
    with pytest.raises(AlreadyDecided):  # once
        suggestions.reward(rewarded, text="再奖一次", by=lead_zhao)
    with pytest.raises(AlreadyDecided):
        suggestions.decline(rewarded, reason="改主意", by=lead_zhao)


def test_decline_needs_a_reason(plan, lead_zhao, agent_li):
    idea = suggestions.propose(plan, title="取消周报", by=agent_li)
    with pytest.raises(ReasonRequired):
        suggestions.decline(idea, reason="   ", by=lead_zhao)
    idea.refresh_from_db()
    assert idea.status == "open"
    declined = suggestions.decline(idea, reason="周报是质检的依据", by=lead_zhao)
    assert declined.status == "declined" and declined.reason == "周报是质检的依据"
    with pytest.raises(AlreadyDecided):  # a declined one is not rewarded
        suggestions.reward(declined, text="奖", by=lead_zhao)
    assert Action.objects.count() == 0


def test_only_the_owner_decides(plan, lead_zhao, agent_li, agent_wang):
    idea = suggestions.propose(plan, title="加一个快捷短语", by=agent_li)
    with pytest.raises(PermissionDenied):
        suggestions.accept(idea, by=agent_wang)
    with pytest.raises(PermissionDenied):
        suggestions.decline(idea, reason="不要", by=agent_li)


def test_api_flow_and_bad_input(api, plan, lead_zhao, agent_li, agent_tech, customer_x):
    made = api.post(
        agent_li, f"/plans/{plan.pk}/suggestions", {"title": "夜班加一人", "body": "22 点后排队长"}
    )
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    assert api.post(agent_li, f"/plans/{plan.pk}/suggestions", {"title": ""}).status_code == 422
    # declining without a reason
    bare = api.post(lead_zhao, f"/plans/{plan.pk}/suggestions/{sid}/decline", {"reason": ""})
    assert (
        bare.status_code == 422
        and bare.json()["code"] == "reason_required"
        and bare.json()["field"] == "reason"
    )
    assert api.post(agent_li, f"/plans/{plan.pk}/suggestions/{sid}/accept", {}).status_code == 403
    ok = api.post(
        lead_zhao, f"/plans/{plan.pk}/suggestions/{sid}/accept", {"owner": agent_li.pk, "kind": "process"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "accepted" and ok.json()["action"]
    again = api.post(lead_zhao, f"/plans/{plan.pk}/suggestions/{sid}/decline", {"reason": "晚了"})
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    bad_amount = api.post(
        lead_zhao, f"/plans/{plan.pk}/suggestions/{sid}/reward", {"reward": "奖", "amount": "很多"}
    )
    assert bad_amount.status_code == 422 and bad_amount.json()["field"] == "amount"
    paid = api.post(
        lead_zhao, f"/plans/{plan.pk}/suggestions/{sid}/reward", {"reward": "季度之星", "amount": "88.5"}
    )
    assert paid.status_code == 200 and paid.json()["reward_amount"] == "88.50"
    listed = api.get(agent_li, f"/plans/{plan.pk}/suggestions").json()
    assert [s["status"] for s in listed] == ["accepted"]
    # a customer, or an agent outside the plan's team: the plan does not exist for them
    assert (
        api.post(customer_x.user, f"/plans/{plan.pk}/suggestions", {"title": "我也想提"}).status_code == 404
    )
    assert api.post(agent_tech, f"/plans/{plan.pk}/suggestions", {"title": "我也想提"}).status_code == 404
    assert api.post(customer_x.user, f"/plans/{plan.pk}/suggestions/{sid}/accept", {}).status_code == 404
    assert api.get(customer_x.user, f"/plans/{plan.pk}/suggestions").status_code == 404
    assert Suggestion.objects.count() == 1


def test_the_page_forms(client, plan, lead_zhao, agent_li):
    from django.urls import reverse

    client.force_login(agent_li)
    client.post(reverse("plans:propose", args=[plan.pk]), {"title": "质检抽样提高到 15%"})
    idea = Suggestion.objects.get()
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "质检抽样提高到 15%" in page and 'data-testid="accept"' not in page  # not the owner
    client.force_login(lead_zhao)
    refused = client.post(
        reverse("plans:decide", args=[plan.pk, idea.pk]), {"do": "decline", "reason": ""}, follow=True
    )
    idea.refresh_from_db()
    assert idea.status == "open" and refused.status_code == 200
    client.post(reverse("plans:decide", args=[plan.pk, idea.pk]), {"do": "decline", "reason": "人手不够"})
    idea.refresh_from_db()
    assert idea.status == "declined" and idea.reason == "人手不够"
