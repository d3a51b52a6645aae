"""现状复盘 from the data: findings from the previous period, on tickets opened through the services."""

from __future__ import annotations

import pytest

from kefu.core import metrics
from kefu.plans import services
from kefu.plans.models import FindingState


@pytest.fixture
def plan(history, lead_zhao):
    return services.create_plan(title="六月计划", kind="team", period="2026-06", by=lead_zhao)


def by_metric(plan, key, topic="headline"):
    return [f for f in plan.findings.all() if f.metric == key and f.topic == topic]


def test_headline_volume_with_change_against_the_period_before(plan):
    (created,) = by_metric(plan, "tickets_created")
    # May: 3 tickets, April: 1 → +200 %
    assert created.value == 3 and created.figure == "3"
    assert "2026-05" in created.text and "2026-04" in created.text
    assert "200.0" in created.text
    assert created.link == "/agent/?drill=tickets_created&drill_from=2026-05-01&drill_to=2026-05-31"
    assert created.state == FindingState.KEPT and created.original_text == created.text


def test_top_categories_by_volume_and_growth(plan, history):
    volume = by_metric(plan, "tickets_created", "category_volume")
    assert [f.value for f in volume] == [2, 1]
    assert "退货" in volume[0].text and "物流" in volume[1].text
    returns = history["returns"].pk
    assert volume[0].link.endswith(f"&drill_by=category&drill_group={returns}")
    growth = by_metric(plan, "tickets_created", "category_growth")
    # 退货 1 → 2 (+1, +100 %), 物流 0 → 1 (+1): ties by the category's code
    assert sorted(f.value for f in growth) == [1, 1]
    assert {f.figure for f in growth} == {"+1"}


def test_quality_rates_are_in_the_review(plan):
    assert by_metric(plan, "reopen_rate", "quality")  # no reopen in May: 0.0 %
    (reopen,) = by_metric(plan, "reopen_rate", "quality")
    assert reopen.figure == "0.0%"


def test_a_key_not_registered_is_skipped(history, lead_zhao, monkeypatch):
    saved = dict(metrics._metrics)
    monkeypatch.setattr(metrics, "_metrics", {k: v for k, v in saved.items() if k != "tickets_created"})
    plan = services.create_plan(title="六月计划", kind="team", period="2026-06", by=lead_zhao)
    assert not [f for f in plan.findings.all() if f.metric == "tickets_created"]
    assert plan.findings.exists()  # the other figures are still there


def test_the_author_keeps_edits_deletes_and_restores_findings(plan, lead_zhao, agent_li):
    (created,) = by_metric(plan, "tickets_created")
    services.edit_finding(created, text="五月新建工单 3 张，是四月的三倍。", by=lead_zhao)
    created.refresh_from_db()
    assert created.state == FindingState.EDITED and created.figure == "3"
    services.delete_finding(created, by=lead_zhao)
    created.refresh_from_db()
    assert created.state == FindingState.DELETED
    services.restore_finding(created, by=lead_zhao)
    created.refresh_from_db()
    assert created.state == FindingState.EDITED
    with pytest.raises(services.PermissionDenied):
        services.delete_finding(created, by=agent_li)
    with pytest.raises(services.ValidationFailed):
        services.edit_finding(created, text="  ", by=lead_zhao)
