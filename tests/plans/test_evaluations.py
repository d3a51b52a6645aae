"""Evaluations: the monthly check-in and the end-of-period review written from the data (each goal's
result with its figure and chart, KPIs against the period before, actions done and late), the
author's conclusions, the owner's sign-off (only the owner; read-only afterwards); a closed plan
seeds the next period's plan with new baselines; this quarter against the previous in one click."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from kefu.plans import evaluations, services
from kefu.plans.models import Evaluation, Plan
from tests.api.conftest import Api
from tests.plans.conftest import COUNTS, RATIOS

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def plan(db, test_metrics, lead_zhao, agent_li):
    """Q2 2026 (April–June), active. The rate: 70 % in May, 92 % in June so far; a count of 5 a
    day in April, 10 a day in May and 3 a day in June."""
    for day in range(1, 31):
        COUNTS[date(2026, 4, day)] = 5
    for day in range(1, 32):
        RATIOS[date(2026, 5, day)] = (70, 100)
        COUNTS[date(2026, 5, day)] = 10
    for day in range(1, 10):
        RATIOS[date(2026, 6, day)] = (92, 100)
        COUNTS[date(2026, 6, day)] = 3
    made = services.create_plan(
        title="2026-Q2 售后计划", kind="team", period="2026-Q2", by=lead_zhao, prefill_review=False
    )
    services.add_goal(
        made,
        spec=services.GoalSpec(
            title="满意度 90%", metric="plan_test_rate", target=90, baseline=80, owner=agent_li
        ),
        by=lead_zhao,
    )
    services.add_goal(
        made,
        spec=services.GoalSpec(
            title="处理量 400", metric="plan_test_count", target=400, baseline=300, owner=agent_li
        ),
        by=lead_zhao,
    )
    services.move_plan(made, to="active", by=lead_zhao)
    return made


def by_title(ev: Evaluation) -> dict:
    return {g["title"]: g for g in ev.snapshot["goals"]}


def test_the_monthly_check_in_reads_each_goal_over_the_month(plan, lead_zhao):
    may = evaluations.evaluate(plan, kind="monthly", month="2026-05", by=lead_zhao)
    goals = by_title(may)
    assert goals["满意度 90%"]["figure"] == "70.0%" and goals["满意度 90%"]["result"] == "missed"
    assert goals["处理量 400"]["value"] == 310 and goals["处理量 400"]["result"] == "missed"
    assert len(goals["满意度 90%"]["days"]) == 31 and goals["满意度 90%"]["values"][0] == 70.0
    # this month, still running: June so far meets the rate already, the count is in progress
    june = evaluations.evaluate(plan, kind="monthly", by=lead_zhao)
    assert june.period_label == "2026-06"
    goals = by_title(june)
    assert goals["满意度 90%"]["result"] == "met" and goals["满意度 90%"]["figure"] == "92.0%"
    assert goals["处理量 400"]["result"] == "in_progress" and goals["处理量 400"]["value"] == 27
    # KPIs against the month before: none of the test metrics is a headline KPI → none listed here
    assert isinstance(june.snapshot["kpis"], list)
    assert june.snapshot["previous_label"] == "2026-05"


def test_the_end_of_period_review_covers_the_whole_plan(plan, lead_zhao):
    final = evaluations.evaluate(plan, kind="final", by=lead_zhao)
    assert (final.start, final.end) == (plan.start, plan.end)
    goals = by_title(final)
    assert goals["处理量 400"]["value"] == 150 + 310 + 27
    assert goals["处理量 400"]["result"] == "met"


def test_kpis_moved_against_the_period_before(plan, lead_zhao, monkeypatch):
    monkeypatch.setattr(evaluations, "KPIS", ("plan_test_count", "plan_test_rate"))
    may = evaluations.evaluate(plan, kind="monthly", month="2026-05", by=lead_zhao)
    moved = {k["metric"]: k for k in may.snapshot["kpis"]}
    assert (
        moved["plan_test_count"]["figure"] == "310" and moved["plan_test_count"]["previous_figure"] == "150"
    )
    assert moved["plan_test_count"]["verdict"] == "better"
    assert moved["plan_test_rate"]["previous_figure"] == "—"


def test_only_the_owner_signs_off_and_then_it_is_read_only(plan, lead_zhao, agent_li, admin_user):
    ev = evaluations.evaluate(plan, kind="monthly", by=lead_zhao)
    with pytest.raises(evaluations.ValidationFailed, match="conclusions"):
        evaluations.sign_off(ev, by=lead_zhao)  # nothing concluded yet
    evaluations.write_conclusions(ev, text="满意度达标；处理量需加快。", by=lead_zhao)
    for someone in (agent_li, admin_user):
        with pytest.raises(evaluations.PermissionDenied, match=lead_zhao.name) as refused:
            evaluations.sign_off(ev, by=someone)
        assert refused.value.code == "not_owner"
    signed = evaluations.sign_off(ev, by=lead_zhao)
    assert signed.signed_by == lead_zhao and signed.signed_at is not None
    with pytest.raises(evaluations.Conflict) as late:
        evaluations.write_conclusions(ev, text="改写", by=lead_zhao)
    assert late.value.code == "signed_off"
    with pytest.raises(evaluations.Conflict):
        evaluations.evaluate(plan, kind="monthly", by=lead_zhao)  # no rewrite of the figures either
    with pytest.raises(evaluations.Conflict):
        evaluations.sign_off(ev, by=lead_zhao)
    ev.refresh_from_db()
    assert ev.conclusions == "满意度达标；处理量需加快。"


def test_bad_input_is_refused(plan, lead_zhao, agent_wang):
    with pytest.raises(evaluations.ValidationFailed, match="outside"):
        evaluations.evaluate(plan, kind="monthly", month="2026-09", by=lead_zhao)
    with pytest.raises(evaluations.ValidationFailed):
        evaluations.evaluate(plan, kind="weekly", by=lead_zhao)
    with pytest.raises(evaluations.PermissionDenied):
        evaluations.evaluate(plan, kind="monthly", by=agent_wang)
    draft = services.create_plan(
        title="草稿", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    with pytest.raises(evaluations.BadTransition):
        evaluations.evaluate(draft, kind="monthly", by=lead_zhao)
    assert Evaluation.objects.count() == 0


def test_the_api_sign_off_by_someone_else_answers_403_with_a_message(
    api, plan, lead_zhao, agent_li, customer_x
):
    made = api.post(lead_zhao, f"/plans/{plan.pk}/evaluations", {"kind": "monthly", "month": "2026-05"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert {g["title"]: g["result"] for g in body["goals"]} == {
        "满意度 90%": "missed",
        "处理量 400": "missed",
    }
    ev = body["id"]
    wrote = api.post(
        lead_zhao, f"/plans/{plan.pk}/evaluations/{ev}/conclusions", {"conclusions": "五月未达标。"}
    )
    assert wrote.status_code == 200 and wrote.json()["conclusions"] == "五月未达标。"
    # agent_li reads the plan (the whole service) but is not its owner
    refused = api.post(agent_li, f"/plans/{plan.pk}/evaluations/{ev}/sign-off")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_owner" and lead_zhao.name in refused.json()["message"]
    assert api.post(customer_x.user, f"/plans/{plan.pk}/evaluations/{ev}/sign-off").status_code == 404
    assert api.post(lead_zhao, f"/plans/{plan.pk}/evaluations/99999/sign-off").status_code == 404
    signed = api.post(lead_zhao, f"/plans/{plan.pk}/evaluations/{ev}/sign-off")
    assert signed.status_code == 200 and signed.json()["signed_by"] == lead_zhao.username
    again = api.post(lead_zhao, f"/plans/{plan.pk}/evaluations/{ev}/conclusions", {"conclusions": "x"})
    assert again.status_code == 409 and again.json()["code"] == "signed_off"
    bad = api.post(lead_zhao, f"/plans/{plan.pk}/evaluations", {"kind": "yearly"})
    assert bad.status_code == 422
    listed = api.get(agent_li, f"/plans/{plan.pk}/evaluations")
    assert listed.status_code == 200 and listed.json()[0]["signed_at"]


def test_a_closed_plan_seeds_the_next_quarter_with_new_baselines(plan, lead_zhao, api):
    with pytest.raises(evaluations.BadTransition):
        evaluations.seed_next_plan(plan, by=lead_zhao)  # still active
    services.move_plan(plan, to="review", by=lead_zhao)
    services.move_plan(plan, to="closed", by=lead_zhao)
    successor, _warnings = evaluations.seed_next_plan(plan, by=lead_zhao)
    assert successor.period_label == "2026-Q3" and successor.title == "2026-Q3 售后计划"
    assert successor.state == "draft" and successor.owner == plan.owner
    goals = {g.title: g for g in successor.goals.all()}
    assert goals["处理量 400"].baseline == 487  # the closed quarter's result
    assert goals["满意度 90%"].baseline == pytest.approx((70 * 31 + 92 * 9) / 40, abs=0.01)
    assert goals["满意度 90%"].target == 90 and goals["满意度 90%"].deadline == date(2026, 9, 30)
    assert goals["满意度 90%"].owner == plan.goals.get(title="满意度 90%").owner
    # once: the second click opens the plan seeded the first time
    again = api.post(lead_zhao, f"/plans/{plan.pk}/next")
    assert again.status_code == 201 and again.json()["id"] == successor.pk
    assert Plan.objects.filter(period_label="2026-Q3").count() == 1


def test_this_quarter_against_the_previous_in_one_click(client, plan, lead_zhao, api):
    found = evaluations.compare_quarters(plan)
    assert (found.this.label, found.before.label) == ("2026-Q2", "2026-Q1")
    rows = {r["metric"]: r for r in found.rows}
    assert rows["plan_test_count"]["figure"] == "487" and rows["plan_test_count"]["previous_figure"] == "0"
    client.force_login(lead_zhao)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("plans:compare", args=[plan.pk]) in page
    shown = client.get(reverse("plans:compare", args=[plan.pk])).content.decode()
    assert "2026-Q1" in shown and "487" in shown
    assert api.get(lead_zhao, f"/plans/{plan.pk}/compare").json()["quarter"] == "2026-Q2"


def test_the_evaluation_page_writes_concludes_and_signs(client, plan, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    made = client.post(reverse("plans:evaluate", args=[plan.pk]), {"kind": "monthly"})
    ev = Evaluation.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("plans:evaluation", args=[plan.pk, ev.pk])
    page = client.get(made["Location"]).content.decode()
    assert "满意度 90%" in page and "data-plans-chart" in page and 'data-testid="sign-off"' in page
    url = reverse("plans:evaluation_action", args=[plan.pk, ev.pk])
    client.post(url, {"action": "conclusions", "conclusions": "六月满意度达标。"})
    client.force_login(agent_li)
    assert 'data-testid="sign-off"' not in client.get(made["Location"]).content.decode()
    client.post(url, {"action": "sign"})
    ev.refresh_from_db()
    assert ev.signed_at is None
    client.force_login(lead_zhao)
    client.post(url, {"action": "sign"})
    ev.refresh_from_db()
    assert ev.signed_by == lead_zhao
    page = client.get(made["Location"]).content.decode()
    assert "六月满意度达标。" in page and 'data-testid="conclusions-form"' not in page
