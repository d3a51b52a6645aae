"""Actions of a plan: owner, dates, status, linked goals, checklist, evidence; overdue ones flagged
on the plan page and the plans list; progress rolled up per goal and per plan; who may change what;
bad input refused with a typed 4xx (never a 500)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from kefu.plans import actions, services
from kefu.plans.errors import PermissionDenied, ValidationFailed
from kefu.plans.models import Action, ActionStatus, ScopeKind
from tests.api.conftest import Api

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def plan(db, lead_zhao, agent_li, team_aftersales):
    made = services.create_plan(
        title="售后组六月计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        prefill_review=False,
    )
    for title in ("满意度", "二次投诉率"):
        services.add_goal(
            made,
            spec=services.GoalSpec(title=title, target=90, direction="higher", owner=agent_li),
            by=lead_zhao,
        )
    return made


def _spec(default_owner, **kw):
    base = {
        "title": "话术培训",
        "kind": "training",
        "owner": default_owner,
        "start": date(2026, 6, 1),
        "due": date(2026, 6, 20),
    }
    return actions.ActionSpec(**{**base, **kw})


def test_an_action_with_goals_checklist_and_evidence(plan, lead_zhao, agent_li):
    goal = plan.goals.first()
    made = actions.create_action(
        plan,
        spec=_spec(
            agent_li,
            goals=[goal.pk],
            checklist=["备课", "考试"],
            evidence=["https://wiki.example.cn/training", "/agent/tickets/?category=1"],
            resources="培训室 2 小时",
        ),
        by=lead_zhao,
    )
    assert made.owner == agent_li and made.status == ActionStatus.PLANNED
    assert list(made.goals.all()) == [goal]
    assert [i.text for i in made.checklist.all()] == ["备课", "考试"]
    assert made.evidence[0] == "https://wiki.example.cn/training"


def test_overdue_actions_are_flagged_on_the_page_and_the_list(client, plan, lead_zhao, agent_li):
    late = actions.create_action(
        plan, spec=_spec(agent_li, title="迟了的", due=date(2026, 6, 5)), by=lead_zhao
    )
    actions.create_action(plan, spec=_spec(agent_li, title="按时的", due=date(2026, 6, 30)), by=lead_zhao)
    done = actions.create_action(
        plan, spec=_spec(agent_li, title="做完的", due=date(2026, 6, 3)), by=lead_zhao
    )
    actions.update_action(done, by=agent_li, status="done")
    assert list(actions.overdue(Action.objects.all())) == [late]
    assert actions.overdue_counts([plan.pk]) == {plan.pk: 1}
    client.force_login(lead_zhao)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert page.count('data-testid="action"') == 3
    assert page.count('data-testid="overdue"') == 1
    listing = client.get(reverse("plans:list")).content.decode()
    assert 'data-testid="overdue-actions"' in listing


def test_progress_rolls_up_per_goal_and_per_plan(plan, lead_zhao, agent_li):
    first, second = plan.goals.all()
    a = actions.create_action(plan, spec=_spec(agent_li, goals=[first.pk]), by=lead_zhao)
    b = actions.create_action(plan, spec=_spec(agent_li, goals=[first.pk, second.pk]), by=lead_zhao)
    c = actions.create_action(plan, spec=_spec(agent_li, goals=[second.pk]), by=lead_zhao)
    actions.create_action(plan, spec=_spec(agent_li), by=lead_zhao)
    actions.update_action(a, by=agent_li, status="done")
    actions.update_action(b, by=agent_li, status="done")
    actions.update_action(c, by=lead_zhao, status="cancelled")  # counts for nothing
    rollups = actions.goal_rollups(plan)
    assert (rollups[first.pk].done, rollups[first.pk].total, rollups[first.pk].share) == (2, 2, 100.0)
    assert (rollups[second.pk].done, rollups[second.pk].total) == (1, 1)
    whole = actions.plan_rollup(plan)
    assert (whole.done, whole.total, whole.share) == (2, 3, 66.7)


def test_bad_input_is_refused(plan, lead_zhao, agent_li, customer_x, lead_zhao_other_plan):
    cases = [
        ({"due": date(2026, 5, 30)}, "due"),  # before the start
        ({"due": date(2026, 7, 2)}, "due"),  # outside the plan's period
        ({"owner": customer_x.user}, "owner"),
        ({"title": "  "}, "title"),
        ({"kind": "party"}, "kind"),
        ({"goals": [lead_zhao_other_plan.goals.first().pk]}, "goals"),
        ({"evidence": ["javascript:alert(1)"]}, "evidence"),
        (
            {"pilot_dimension": "tier", "pilot_values": ["vip"], "pilot_metrics": ["tickets_created"]},
            "pilot_dimension",
        ),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationFailed) as err:
            actions.create_action(plan, spec=_spec(agent_li, **changes), by=lead_zhao)
        assert err.value.field == field, changes
    assert Action.objects.count() == 0


@pytest.fixture
def lead_zhao_other_plan(db, lead_zhao, agent_li):
    other = services.create_plan(
        title="别的计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    services.add_goal(other, spec=services.GoalSpec(title="别的", target=1, direction="higher"), by=lead_zhao)
    return other


def test_who_may_change_what(plan, lead_zhao, agent_li, agent_wang):
    made = actions.create_action(plan, spec=_spec(agent_li), by=lead_zhao)
    # the owner moves the status and adds evidence, not the title
    assert actions.update_action(made, by=agent_li, status="in_progress").status == "in_progress"
    with pytest.raises(PermissionDenied):
        actions.update_action(made, by=agent_li, title="改名")
    # someone else on the team may read the plan but not work the action
    with pytest.raises(PermissionDenied):
        actions.update_action(made, by=agent_wang, status="done")
    with pytest.raises(PermissionDenied):
        actions.create_action(plan, spec=_spec(agent_wang), by=agent_wang)


def test_api_create_list_update(api, plan, lead_zhao, agent_li, agent_tech, customer_x):
    goal = plan.goals.first()
    body = {
        "title": "流程梳理",
        "kind": "process",
        "owner": agent_li.pk,
        "start": "2026-06-01",
        "due": "2026-06-08",
        "goals": [goal.pk],
        "checklist": ["画流程图"],
    }
    made = api.post(lead_zhao, f"/plans/{plan.pk}/actions", body)
    assert made.status_code == 201, made.content
    action = made.json()
    assert action["overdue"] is True and action["goals"] == [goal.pk] and action["version"] == 1
    listed = api.get(agent_li, f"/plans/{plan.pk}/actions").json()
    assert (listed["overdue"], listed["total"], listed["done"]) == (1, 1, 0)
    assert listed["goals"] == [{"goal": goal.pk, "done": 0, "total": 1, "progress": 0.0}]
    item = action["checklist"][0]["id"]
    done = api.patch(
        agent_li,
        f"/plans/{plan.pk}/actions/{action['id']}",
        {"version": 1, "status": "done", "checklist_done": {str(item): True}},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["overdue"] is False
    assert done.json()["checklist"][0]["done"] is True
    stale = api.patch(
        lead_zhao, f"/plans/{plan.pk}/actions/{action['id']}", {"version": 1, "status": "planned"}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    bad = api.post(lead_zhao, f"/plans/{plan.pk}/actions", {**body, "due": "2026-05-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "due"
    notowner = api.post(lead_zhao, f"/plans/{plan.pk}/actions", {**body, "owner": customer_x.user.pk})
    assert notowner.status_code == 422 and notowner.json()["field"] == "owner"
    assert api.post(agent_li, f"/plans/{plan.pk}/actions", body).status_code == 403
    # not in the plan's team, a customer: as if it did not exist
    assert api.get(agent_tech, f"/plans/{plan.pk}/actions").status_code == 404
    assert api.get(customer_x.user, f"/plans/{plan.pk}/actions").status_code == 404
    assert (
        api.patch(customer_x.user, f"/plans/{plan.pk}/actions/{action['id']}", {"status": "done"}).status_code
        == 404
    )


def test_the_page_forms_add_and_work_an_action(client, plan, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    goal = plan.goals.first()
    response = client.post(
        reverse("plans:add_action", args=[plan.pk]),
        {
            "title": "客户关怀电话",
            "kind": "care",
            "owner": str(agent_li.pk),
            "start": "2026-06-10",
            "due": "2026-06-12",
            "goals": [str(goal.pk)],
            "checklist": "名单\n脚本",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    made = Action.objects.get(title="客户关怀电话")
    assert [i.text for i in made.checklist.all()] == ["名单", "脚本"]
    client.force_login(agent_li)
    first = made.checklist.first()
    client.post(
        reverse("plans:work_action", args=[plan.pk, made.pk]), {"do": "checklist", "done": [str(first.pk)]}
    )
    client.post(reverse("plans:work_action", args=[plan.pk, made.pk]), {"do": "status", "status": "done"})
    made.refresh_from_db()
    assert made.status == "done" and made.checklist.first().done
    # a bad form shows the message on the page, nothing is stored
    client.force_login(lead_zhao)
    page = client.post(
        reverse("plans:add_action", args=[plan.pk]),
        {"title": "坏的", "kind": "care", "owner": str(agent_li.pk), "due": "2026-13-01"},
        follow=True,
    )
    assert page.status_code == 200 and not Action.objects.filter(title="坏的").exists()
    assert "YYYY-MM-DD" in page.content.decode()
