"""The SMART check at save and the activation rules (typed errors of kefu.plans.errors)."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.plans import errors, services
from kefu.plans.models import ScopeKind
from kefu.plans.states import PlanState
from tests.plans.conftest import COUNTS


@pytest.fixture
def plan(lead_zhao):
    return services.create_plan(
        title="2026 年 6 月计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )


def spec(**kw):
    kw.setdefault("title", "目标")
    kw.setdefault("target", 10)
    return services.GoalSpec(**kw)


def test_an_unknown_metric_is_refused(plan, lead_zhao):
    with pytest.raises(errors.UnknownMetric) as err:
        services.add_goal(plan, spec=spec(metric="no_such_metric"), by=lead_zhao)
    assert err.value.field == "metric" and err.value.status == 422
    assert plan.goals.count() == 0


def test_a_manual_goal_must_say_which_way_is_better(plan, lead_zhao):
    with pytest.raises(errors.UnknownMetric):
        services.add_goal(plan, spec=spec(), by=lead_zhao)


def test_an_unknown_scope_is_refused(test_metrics, plan, lead_zhao, team_aftersales):
    with pytest.raises(errors.UnknownScope):  # plan_test_count is not cut by channel
        services.add_goal(
            plan, spec=spec(metric="plan_test_count", filters={"channel": ["web"]}), by=lead_zhao
        )
    with pytest.raises(errors.UnknownScope):  # no such team
        services.add_goal(
            plan, spec=spec(metric="plan_test_count", filters={"team": ["424242"]}), by=lead_zhao
        )
    goal, _w = services.add_goal(
        plan, spec=spec(metric="plan_test_count", filters={"team": [str(team_aftersales.pk)]}), by=lead_zhao
    )
    assert goal.filters == {"team": [str(team_aftersales.pk)]}


def test_a_plan_scope_the_metric_cannot_follow_is_refused(test_metrics, lead_zhao):
    web = services.create_plan(
        title="网页渠道",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.CHANNEL,
        scope_channel="web",
        prefill_review=False,
    )
    with pytest.raises(errors.UnknownScope):
        services.add_goal(web, spec=spec(metric="plan_test_count"), by=lead_zhao)


def test_a_target_on_the_wrong_side_of_the_baseline_is_warned_not_refused(test_metrics, plan, lead_zhao):
    goal, warnings = services.add_goal(
        plan, spec=spec(metric="plan_test_count", baseline=12, target=10), by=lead_zhao
    )
    assert goal.pk and len(warnings) == 1 and "12" in warnings[0] and "10" in warnings[0]
    _goal, none = services.add_goal(
        plan, spec=spec(metric="plan_test_count", baseline=12, target=14), by=lead_zhao
    )
    assert none == []
    # "lower is better": a target above the baseline is the wrong side
    _g, lower = services.add_goal(
        plan, spec=spec(title="手工", baseline=3, target=4, direction="lower"), by=lead_zhao
    )
    assert len(lower) == 1


def test_a_deadline_outside_the_period_is_refused(test_metrics, plan, lead_zhao):
    for deadline in (date(2026, 7, 1), date(2026, 5, 31)):
        with pytest.raises(errors.DeadlineOutsidePeriod):
            services.add_goal(plan, spec=spec(metric="plan_test_count", deadline=deadline), by=lead_zhao)
    goal, _w = services.add_goal(
        plan, spec=spec(metric="plan_test_count", deadline=date(2026, 6, 30)), by=lead_zhao
    )
    with pytest.raises(errors.DeadlineOutsidePeriod):
        services.update_goal(goal, deadline=date(2026, 7, 2), by=lead_zhao)


def test_activation_needs_goals_and_an_owner_for_each(test_metrics, plan, lead_zhao, agent_li):
    with pytest.raises(errors.NoGoals):
        services.move_plan(plan, to=PlanState.ACTIVE, by=lead_zhao)
    goal, _w = services.add_goal(plan, spec=spec(title="无人负责", metric="plan_test_count"), by=lead_zhao)
    with pytest.raises(errors.GoalWithoutOwner) as err:
        services.move_plan(plan, to=PlanState.ACTIVE, by=lead_zhao)
    assert "无人负责" in err.value.message
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT
    services.update_goal(goal, owner=agent_li, by=lead_zhao)
    assert services.move_plan(plan, to=PlanState.ACTIVE, by=lead_zhao).state == PlanState.ACTIVE


def test_states_follow_the_transitions(test_metrics, plan, lead_zhao):
    with pytest.raises(errors.BadTransition):
        services.move_plan(plan, to=PlanState.CLOSED, by=lead_zhao)
    services.add_goal(plan, spec=spec(metric="plan_test_count", owner=lead_zhao), by=lead_zhao)
    for to in (PlanState.ACTIVE, PlanState.REVIEW, PlanState.ACTIVE, PlanState.REVIEW, PlanState.CLOSED):
        plan = services.move_plan(plan, to=to, by=lead_zhao)
    assert plan.state == PlanState.CLOSED
    with pytest.raises(errors.BadTransition):
        services.update_sections(plan, sections={"guiding": "<p>改</p>"}, by=lead_zhao)


def test_sections_are_sanitised(plan, lead_zhao):
    services.update_sections(
        plan, sections={"guiding": '<p onclick="x()">以客户为中心<script>alert(1)</script></p>'}, by=lead_zhao
    )
    plan.refresh_from_db()
    assert plan.guiding == "<p>以客户为中心</p>"


def test_only_the_owner_or_a_supervisor_changes_a_plan(test_metrics, plan, agent_li, customer_x):
    with pytest.raises(errors.PermissionDenied):
        services.add_goal(plan, spec=spec(metric="plan_test_count"), by=agent_li)
    with pytest.raises(errors.PermissionDenied):  # an agent writes only their own personal plan
        services.create_plan(title="团队", kind="team", period="2026-06", by=agent_li, prefill_review=False)
    mine = services.create_plan(
        title="我的计划",
        kind="personal",
        period="2026-06",
        by=agent_li,
        scope_kind=ScopeKind.PERSON,
        scope_person=agent_li,
        prefill_review=False,
    )
    COUNTS[date(2026, 6, 1)] = 1.0
    assert services.add_goal(mine, spec=spec(metric="plan_test_count", owner=agent_li), by=agent_li)[0].pk
    with pytest.raises(errors.PermissionDenied):
        services.create_plan(
            title="客户",
            kind="personal",
            period="2026-06",
            by=customer_x.user,
            scope_kind=ScopeKind.PERSON,
            scope_person=customer_x.user,
            prefill_review=False,
        )
