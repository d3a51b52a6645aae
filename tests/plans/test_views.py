"""Pages and access: supervisors manage every plan, agents read the plans of their scope, customers
and department members see nothing (404, as for a plan that does not exist)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kefu.plans import blueprints, services
from kefu.plans.models import FindingState, Plan, ScopeKind


@pytest.fixture
def plans(history, lead_zhao, team_aftersales, team_tech):
    with translation.override("zh-hans"):
        service, _w = blueprints.create_from_template("after-sales-quarterly", period="2026-06", by=lead_zhao)
    mine = services.create_plan(
        title="售后组计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        prefill_review=False,
    )
    other = services.create_plan(
        title="技术组计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_tech,
        prefill_review=False,
    )
    return {"service": service, "mine": mine, "other": other}


def test_a_supervisor_sees_the_list_with_goal_health(client, plans, lead_zhao):
    client.force_login(lead_zhao)
    page = client.get(reverse("plans:list"))
    assert page.status_code == 200
    html = page.content.decode()
    for p in plans.values():
        assert p.title in html
    assert html.count('data-testid="plan-row"') == 3


def test_the_plan_page_shows_goals_findings_and_sections(client, plans, lead_zhao, customer_x, make_ticket):
    client.force_login(lead_zhao)
    plan = plans["service"]
    make_ticket(customer_x, subject="六月的工单")  # today, 2026-06-10: the period has a figure
    goal, _w = services.add_goal(
        plan,
        spec=services.GoalSpec(title="工单量", metric="tickets_created", target=10, owner=lead_zhao),
        by=lead_zhao,
    )
    html = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert html.count('data-testid="goal"') == plan.goals.count() == 9
    assert f'data-plans-chart="chart-goal-{goal.pk}"' in html and f'id="chart-goal-{goal.pk}"' in html
    assert html.count('data-testid="finding"') == plan.findings.count()
    assert "/agent/?drill=tickets_created&amp;drill_from=2026-05-01&amp;drill_to=2026-05-31" in html
    assert 'data-plans-chart="chart-goal-' in html and "vendor/echarts/echarts.min.js" in html
    assert "以客户为中心" in html  # the template's guiding principle


def test_a_finding_is_deleted_from_the_page(client, plans, lead_zhao):
    client.force_login(lead_zhao)
    finding = plans["service"].findings.first()
    url = reverse("plans:finding", args=[plans["service"].pk, finding.pk])
    assert client.post(url, {"action": "delete"}).status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.DELETED


def test_create_from_the_template_form(client, history, lead_zhao):
    client.force_login(lead_zhao)
    assert client.get(reverse("plans:create")).status_code == 200
    answer = client.post(reverse("plans:create"), {"template": "process-optimisation", "period": "2026-Q3"})
    plan = Plan.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("plans:detail", args=[plan.pk])
    assert plan.kind == "process" and plan.goals.count() == 5
    bad = client.post(reverse("plans:create"), {"template": "process-optimisation", "period": "2026-Q9"})
    assert bad.status_code == 200 and Plan.objects.count() == 1


def test_activation_refused_on_the_page_without_goal_owners(client, plans, lead_zhao):
    client.force_login(lead_zhao)
    plan = plans["mine"]
    answer = client.post(reverse("plans:move", args=[plan.pk]), {"to": "active"}, follow=True)
    assert "至少" in answer.content.decode() or "at least one goal" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.state == "draft"


def test_an_agent_reads_the_plans_of_their_scope_only(client, plans, agent_li):
    client.force_login(agent_li)
    html = client.get(reverse("plans:list")).content.decode()
    assert plans["service"].title in html and plans["mine"].title in html
    assert plans["other"].title not in html
    assert client.get(reverse("plans:detail", args=[plans["other"].pk])).status_code == 404
    assert client.get(reverse("plans:detail", args=[plans["mine"].pk])).status_code == 200
    finding = plans["service"].findings.first()
    client.post(reverse("plans:finding", args=[plans["service"].pk, finding.pk]), {"action": "delete"})
    finding.refresh_from_db()
    assert finding.state == FindingState.KEPT  # reading is not managing


def test_customers_and_departments_see_nothing(client, plans, customer_x, dept_chen):
    for user in (customer_x.user, dept_chen):
        client.force_login(user)
        assert client.get(reverse("plans:list")).status_code == 404
        assert client.get(reverse("plans:detail", args=[plans["service"].pk])).status_code == 404
        assert client.get(reverse("plans:create")).status_code == 404
    client.logout()
    assert client.get(reverse("plans:detail", args=[plans["service"].pk])).status_code in (302, 404)


def test_the_top_bar_links_supervisors_to_the_plans(lead_zhao, admin_user, agent_li, customer_x):
    from kefu.core import extensions

    def keys(user, area="agent"):
        # The plans link sits in the 计划 menu beside the emergency plans.
        entries = extensions.nav_links(user, area)
        return [link["key"] for e in entries for link in e.get("links", [e])]

    assert "plans" in keys(lead_zhao) and "plans" in keys(admin_user)
    # Agents open their plans from the URL; the English top bar has no room left at 1366 px for them.
    assert "plans" not in keys(agent_li)
    assert "plans" not in keys(customer_x.user) and "plans" not in keys(customer_x.user, "portal")
