"""The active work plan's goals on the supervisor's overview dashboard: each goal with its figure,
target, forecast and status, linking to the plan; a draft plan or one outside today is not there."""

from __future__ import annotations

import pytest

from kefu.plans import services

from .test_notices import _active_plan

pytestmark = pytest.mark.now("2026-06-10 10:00")


def _panel(html: str) -> str:
    return html.split('data-testid="plan-goals"', 1)[1].split("</section>", 1)[0]


def test_the_overview_shows_the_active_plans_goals_with_their_status(
    client, db, test_metrics, lead_zhao, agent_li
):
    plan, _goal = _active_plan(lead_zhao, agent_li, target=93)  # forecast 91.2: at risk
    services.create_plan(title="七月草稿", kind="team", period="2026-07", by=lead_zhao, prefill_review=False)
    client.force_login(lead_zhao)

    html = client.get("/agent/analytics/").content.decode()

    panel = _panel(html)
    assert "六月计划" in panel and f'href="/agent/plans/{plan.pk}/"' in panel
    assert '<tr data-testid="plan-goal" data-status="at_risk">' in panel and "一次解决率" in panel
    assert "七月草稿" not in panel


def test_without_an_active_plan_the_overview_has_no_goals_card(client, db, test_metrics, lead_zhao):
    services.create_plan(title="六月草稿", kind="team", period="2026-06", by=lead_zhao, prefill_review=False)
    client.force_login(lead_zhao)

    assert 'data-testid="plan-goals"' not in client.get("/agent/analytics/").content.decode()
