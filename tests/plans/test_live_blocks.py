"""Live data blocks in a plan's sections: [[metric:key]] shows the figure and [[chart:key]] the chart
for the plan's scope and period; a reader who may not see that metric gets nothing in its place."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from docx import Document as Docx

from kefu.plans import blocks, export, services
from kefu.plans.models import ScopeKind
from tests.api.conftest import Api
from tests.plans.conftest import RATIOS

pytestmark = pytest.mark.now("2026-06-10 10:00")

SECTION = (
    "<p>满意度：[[metric:plan_test_rate]]</p><p>[[chart:plan_test_rate]]</p><p>[[metric:no_such_key]]完</p>"
)


def shown_section(page: str) -> str:
    """The guiding section as shown (the editor's textarea below it keeps the markers)."""
    return page.split('data-testid="section-guiding">', 1)[1].split("<details", 1)[0]


@pytest.fixture
def service_plan(db, test_metrics, lead_zhao):
    for day in range(1, 10):
        RATIOS[date(2026, 6, day)] = (88, 100)
    return services.create_plan(
        title="服务计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        sections={"guiding": SECTION},
        prefill_review=False,
    )


def test_a_supervisor_sees_the_figure_and_the_chart(client, service_plan, lead_zhao):
    client.force_login(lead_zhao)
    page = shown_section(client.get(reverse("plans:detail", args=[service_plan.pk])).content.decode())
    assert 'data-testid="live-metric"' in page and "88.0%" in page
    assert 'data-testid="live-chart"' in page and 'data-plans-chart="chart-live-guiding-0"' in page
    assert "[[" not in page and "no_such_key" not in page  # an unknown key leaves nothing
    assert "完" in page


def test_an_agent_who_may_not_see_the_whole_service_gets_nothing(client, api_client, service_plan, agent_li):
    client.force_login(agent_li)
    page = client.get(reverse("plans:detail", args=[service_plan.pk])).content.decode()
    assert "满意度：" in page
    assert "88.0%" not in page and 'data-testid="live-chart"' not in page and "[[" not in page
    got = api_client.get(agent_li, f"/plans/{service_plan.pk}/export?format=docx")
    text = "\n".join(p.text for p in Docx(io.BytesIO(got.content)).paragraphs)
    assert "满意度：" in text and "88.0%" not in text


def test_an_agent_sees_the_figures_of_a_plan_for_their_own_team(
    db, test_metrics, lead_zhao, agent_li, team_aftersales
):
    for day in range(1, 10):
        RATIOS[date(2026, 6, day)] = (88, 100)
    team_plan = services.create_plan(
        title="售后组计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        sections={"guiding": SECTION},
        prefill_review=False,
    )
    shown, charts = blocks.render_html(team_plan, team_plan.guiding, agent_li)
    assert "88.0%" in shown and len(charts) == 1
    assert next(iter(charts.values()))["values"][:2] == [88.0, 88.0]


def test_the_export_draws_the_chart_for_the_operator(service_plan):
    word = Docx(io.BytesIO(export.render(service_plan, "docx")))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "测试比率: 88.0%" in text
    assert len(word.inline_shapes) == 1  # the live chart (the plan has no goals)


@pytest.fixture
def api_client(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()
