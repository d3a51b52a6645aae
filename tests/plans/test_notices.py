"""At-risk notices: the periodic check tells a goal's owner when the goal turns at risk or off
track — once per turn, never twice for the same one, again after it recovered and slipped; several
workers checking at once write one notice (B5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from kefu.accounts.models import Notification
from kefu.plans import notices, progress, services
from kefu.plans.models import Goal, GoalWatch
from tests.routing.test_concurrency import _run_parallel

from .conftest import RATIOS

pytestmark = pytest.mark.now("2026-06-10 10:00")


def _active_plan(lead_zhao, agent_li, target):
    # the rate so far: 88 %, 92 %, 88 %… (mean 90), a flat trend with a slight upward trend: forecast 91.2, band 88.3 – 94.1
    for i in range(10):
        RATIOS[date(2026, 6, 1) + timedelta(days=i)] = (88.0 + 4 * (i % 2), 100.0)
    plan = services.create_plan(
        title="六月计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    goal, _w = services.add_goal(
        plan,
        spec=services.GoalSpec(
            title="一次解决率", metric="plan_test_rate", target=target, baseline=80, owner=agent_li
        ),
        by=lead_zhao,
    )
    services.move_plan(plan, to="active", by=lead_zhao)
    return plan, goal


def _told(user):
    return list(Notification.objects.filter(user=user, kind="plan_goal_status"))


def test_owner_told_once_per_turn(db, test_metrics, lead_zhao, agent_li):
    plan, goal = _active_plan(lead_zhao, agent_li, target=93)
    assert progress.goal_progress(goal).status == "at_risk"
    assert notices.check_active_goals() == 1
    assert notices.check_active_goals() == 0  # the same turn: not again
    told = _told(agent_li)
    assert len(told) == 1 and told[0].url == f"/agent/plans/{plan.pk}/" and "一次解决率" in told[0].text
    assert _told(lead_zhao) == []
    # recovers (target lowered): no notice; slips to off track: told again
    Goal.objects.filter(pk=goal.pk).update(target=85)
    assert notices.check_active_goals() == 0
    assert GoalWatch.objects.get(goal=goal).status == "on_track"
    Goal.objects.filter(pk=goal.pk).update(target=99)
    assert notices.check_active_goals() == 1
    assert notices.check_active_goals() == 0
    assert len(_told(agent_li)) == 2
    assert GoalWatch.objects.get(goal=goal).status == "off_track"


def test_on_track_and_draft_plans_tell_nobody(db, test_metrics, lead_zhao, agent_li):
    _plan, goal = _active_plan(lead_zhao, agent_li, target=85)
    assert progress.goal_progress(goal).status == "on_track"
    draft = services.create_plan(
        title="草稿", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    services.add_goal(
        draft,
        spec=services.GoalSpec(title="草稿目标", metric="plan_test_rate", target=99, owner=agent_li),
        by=lead_zhao,
    )
    assert notices.check_active_goals() == 0
    assert _told(agent_li) == []


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_three_workers_tell_once(test_metrics, lead_zhao, agent_li):
    _active_plan(lead_zhao, agent_li, target=93)
    connection.close()
    errors = _run_parallel(lambda _i: notices.check_active_goals(), [1, 2, 3])
    assert errors == []
    assert len(_told(agent_li)) == 1
    assert GoalWatch.objects.get().turns == 1
