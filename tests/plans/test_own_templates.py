"""Templates users save from a plan: kind, sections and goals without figures; listed beside the
built-in ones on the create page and in the API, usable by `kefu plan create --template <key>`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from kefu.plans import blueprints, own_templates, services
from kefu.plans.models import PlanTemplate
from tests.api.conftest import Api

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def source(db, test_metrics, lead_zhao, agent_li):
    plan = services.create_plan(
        title="2026-06 投诉治理计划",
        kind="process",
        period="2026-06",
        by=lead_zhao,
        sections={"guiding": "<p>投诉零积压。</p>", "measures": "<ul><li>每日复盘</li></ul>"},
        prefill_review=False,
    )
    services.add_goal(
        plan,
        spec=services.GoalSpec(
            title="满意度 90%", metric="plan_test_rate", target=90, baseline=77, owner=agent_li, weight=3
        ),
        by=lead_zhao,
    )
    goal, _w = services.add_goal(
        plan,
        spec=services.GoalSpec(
            title="回访完成率", target=100, baseline=60, direction="higher", owner=agent_li
        ),
        by=lead_zhao,
    )
    services.record_manual_value(goal, value=70, evidence="回访表", by=lead_zhao)
    return plan


def test_a_saved_template_keeps_the_goals_without_figures(source, lead_zhao):
    saved = own_templates.save_as_template(source, name="投诉治理模板", by=lead_zhao)
    assert saved.key == "my-template"  # a Chinese name has no slug
    assert saved.kind == "process" and saved.sections["guiding"] == "<p>投诉零积压。</p>"
    assert [g["title"] for g in saved.goals] == ["满意度 90%", "回访完成率"]
    for g in saved.goals:
        assert "baseline" not in g and "manual_value" not in g and "owner" not in g
    assert saved.goals[0]["weight"] == 3 and saved.goals[1]["direction"] == "higher"
    second = own_templates.save_as_template(source, name="Complaints", by=lead_zhao)
    assert second.key == "my-complaints"


def test_a_new_plan_from_a_saved_template(source, lead_zhao):
    saved = own_templates.save_as_template(source, name="投诉治理模板", key="complaints", by=lead_zhao)
    plan, _warnings = blueprints.create_from_template(saved.key, period="2026-07", by=lead_zhao)
    assert plan.title == "2026-07 投诉治理模板" and plan.kind == "process" and plan.template == "complaints"
    assert plan.guiding == "<p>投诉零积压。</p>"
    goals = {g.title: g for g in plan.goals.all()}
    assert set(goals) == {"满意度 90%", "回访完成率"}
    assert goals["回访完成率"].manual_value is None and goals["回访完成率"].baseline is None
    assert goals["满意度 90%"].weight == 3 and goals["满意度 90%"].deadline.isoformat() == "2026-07-31"


def test_the_command_line_uses_and_lists_saved_templates(source, lead_zhao):
    own_templates.save_as_template(source, name="投诉治理模板", key="complaints", by=lead_zhao)
    out = StringIO()
    call_command("plan", "create", "--template", "complaints", "--period", "2026-08", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["template"] == "complaints" and {g["metric"] for g in body["goals"]} == {
        "plan_test_rate",
        None,
    }
    listed = StringIO()
    call_command("plan", "templates", stdout=listed)
    assert "complaints\t投诉治理模板" in listed.getvalue() and "after-sales-quarterly" in listed.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No template"):
        call_command("plan", "create", "--template", "nope", "--period", "2026-08")


def test_bad_names_and_keys_are_refused(source, lead_zhao):
    with pytest.raises(own_templates.ValidationFailed):
        own_templates.save_as_template(source, name="  ", by=lead_zhao)
    with pytest.raises(own_templates.ValidationFailed):
        own_templates.save_as_template(source, name="x", key="Bad Key!", by=lead_zhao)
    with pytest.raises(own_templates.Conflict):
        own_templates.save_as_template(source, name="x", key="after-sales-quarterly", by=lead_zhao)
    own_templates.save_as_template(source, name="x", key="mine", by=lead_zhao)
    with pytest.raises(own_templates.Conflict):
        own_templates.save_as_template(source, name="y", key="mine", by=lead_zhao)
    assert PlanTemplate.objects.count() == 1


def test_the_pages_and_api(client, api, source, lead_zhao, agent_li, customer_x):
    client.force_login(lead_zhao)
    client.post(
        reverse("plans:save_template", args=[source.pk]), {"name": "投诉治理模板", "key": "complaints"}
    )
    assert PlanTemplate.objects.filter(key="complaints").exists()
    create = client.get(reverse("plans:create")).content.decode()
    assert 'data-testid="own-templates"' in create and 'value="complaints"' in create
    assert 'value="after-sales-quarterly"' in create  # beside the built-in ones
    saved = api.post(agent_li, f"/plans/{source.pk}/template", {"name": "李的模板"})
    assert saved.status_code == 201 and saved.json()["goals"] == 2
    taken = api.post(agent_li, f"/plans/{source.pk}/template", {"name": "z", "key": "complaints"})
    assert taken.status_code == 409 and taken.json()["code"] == "key_taken"
    listed = {t["key"]: t for t in api.get(agent_li, "/plans/templates/").json()}
    assert listed["complaints"]["builtin"] is False and listed["after-sales-quarterly"]["builtin"] is True
    assert api.post(customer_x.user, f"/plans/{source.pk}/template", {"name": "x"}).status_code == 404
