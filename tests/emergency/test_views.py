"""The pages: supervisors see the plans with their status, a plan, an activation with its
timeline and checklist; agents and customers get 404; the banner shows while an incident is open."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.emergency import services
from kefu.emergency.models import EmergencyPlan

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db]


def _client(user):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(user)
    return client


def test_supervisor_pages_in_chinese(make_plan, lead_zhao, ticket_at, t0):
    plan = make_plan(steps=["确认原因", "通知技术部"], broadcast_text="您好，我们正在处理。")
    for m in (1, 2, 3):
        ticket_at(t0, m)
    services.watch(at=t0)
    activation = plan.activations.get()
    client = _client(lead_zhao)
    listing = client.get("/agent/emergency/")
    html = listing.content.decode()
    assert listing.status_code == 200 and "工单激增" in html and "应急预案" in html
    assert 'data-testid="plan-status">触发中' in html
    page = client.get(f"/agent/emergency/{plan.pk}/").content.decode()
    assert "通知技术部" in page and "演练" in page
    shown = client.get(f"/agent/emergency/activations/{activation.pk}/").content.decode()
    assert shown.count('data-testid="linked-ticket"') == 3 and "通知技术部" in shown
    assert 'data-testid="emergency-banner"' in shown
    client.post(f"/agent/emergency/activations/{activation.pk}/step/", {"step": "0"})
    client.post(f"/agent/emergency/activations/{activation.pk}/broadcast/")
    client.post(f"/agent/emergency/activations/{activation.pk}/resolve/")
    after = client.get(f"/agent/emergency/activations/{activation.pk}/").content.decode()
    assert "<s>确认原因</s>" in after and 'data-testid="emergency-banner"' not in after


def test_plan_form_refuses_an_impossible_trigger(lead_zhao):
    client = _client(lead_zhao)
    assert client.get("/agent/emergency/new/").status_code == 200
    bad = client.post(
        "/agent/emergency/new/",
        {"name": "预案", "trigger": "volume", "window_minutes": "60", "multiplier": "1", "baseline_weeks": "4",
         "min_count": "10", "percent": "20", "cooldown_minutes": "60"},
    )  # fmt: skip
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.content.decode()
    assert not EmergencyPlan.objects.exists()
    ok = client.post(
        "/agent/emergency/new/",
        {"name": "预案", "trigger": "keyword", "keyword": "快递", "window_minutes": "60", "multiplier": "3",
         "baseline_weeks": "4", "min_count": "10", "percent": "20", "cooldown_minutes": "60",
         "steps": "联系快递\n发布公告", "active": "on"},
    )  # fmt: skip
    assert ok.status_code == 302
    assert EmergencyPlan.objects.get().steps == ["联系快递", "发布公告"]


def test_agents_and_customers_get_404(make_plan, agent_li, customer_x, lead_zhao):
    plan = make_plan()
    activation = services.activate(plan, by=lead_zhao, drill=True)
    for user in (agent_li, customer_x.user):
        client = _client(user)
        for url in (
            "/agent/emergency/",
            f"/agent/emergency/{plan.pk}/",
            f"/agent/emergency/{plan.pk}/edit/",
            f"/agent/emergency/activations/{activation.pk}/",
        ):
            assert client.get(url).status_code in (404, 302), url
        assert client.post(f"/agent/emergency/{plan.pk}/activate/", {"drill": "0"}).status_code in (404, 302)
    assert plan.activations.count() == 1
