"""`kefu plan create --template after-sales-quarterly --period … --json` prints one JSON object."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from kefu.core import metrics
from kefu.plans.models import Plan

# Their fixtures are dated around the suite's default instant (a Wednesday in June 2026); the
# run a year later (KEFU_TEST_NOW) would move "today" away from them.
pytestmark = pytest.mark.now("2026-06-10 10:00")


def run(*args):
    out = io.StringIO()
    call_command("plan", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_from_the_template_prints_the_plan(history, lead_zhao):
    body = json.loads(
        run(
            "create",
            "--template",
            "after-sales-quarterly",
            "--period",
            "2026-06",
            "--json",
            "--language",
            "zh-hans",
        )
    )
    plan = Plan.objects.get()
    assert body["id"] == plan.pk and plan.state == "draft" and body["owner"] == "lead_zhao"
    assert body["title"] == "2026-06 售后客服季度工作计划"
    created = next(f for f in body["review"] if f["metric"] == "tickets_created")
    assert created["figure"] == "3" and "2026-05" in created["text"]
    assert all(f["text"] and f["figure"] for f in body["review"])
    goals = {g["metric"]: g for g in body["goals"]}
    for g in body["goals"]:
        assert {"metric", "baseline", "target", "progress", "status"} <= set(g)
    assert goals["handling_minutes"]["target"] == 3 and goals["handling_minutes"]["direction"] == "lower"
    assert goals["repeat_dispatch_rate"]["target"] == 8
    assert goals["first_response_minutes"]["target"] == 120
    manual = goals[None]  # new-hire pass rate: measured by hand, the documents' baseline
    assert (manual["baseline"], manual["target"]) == (88, 95)
    assert all(g["owner"] == "lead_zhao" for g in body["goals"])


def test_a_key_not_registered_yet_is_offered_as_not_available(history, lead_zhao, monkeypatch):
    saved = dict(metrics._metrics)
    monkeypatch.setattr(metrics, "_metrics", {k: v for k, v in saved.items() if k != "csat"})
    body = json.loads(run("create", "--template", "after-sales-quarterly", "--period", "2026-06", "--json"))
    csat = next(g for g in body["goals"] if g["metric"] == "csat")
    assert csat["status"] == "unavailable" and csat["progress"] is None and csat["target"] == 90
    assert not [f for f in body["review"] if f["metric"] == "csat"]


def test_bad_period_and_no_owner_are_told(history, lead_zhao):
    with pytest.raises(CommandError, match="2026-Q4"):
        run("create", "--template", "after-sales-quarterly", "--period", "Q4", "--json")
    with pytest.raises(CommandError, match="owner"):
        run("create", "--template", "team-work", "--period", "2026-06", "--owner", "customer_x")
    assert Plan.objects.count() == 0


def test_english_plan(history, lead_zhao):
    body = json.loads(
        run("create", "--template", "team-work", "--period", "2026-Q3", "--json", "--language", "en")
    )
    assert body["title"] == "2026-Q3 service team work plan"
    assert body["period"] == "2026-Q3" and body["start"] == "2026-07-01"
    assert all(g["status"] == "not_started" for g in body["goals"] if g["metric"])


def test_show_prints_a_plan_and_refuses_an_unknown_one(history, lead_zhao):
    made = json.loads(run("create", "--template", "service-strategy", "--period", "2026-06", "--json"))
    shown = json.loads(run("show", str(made["id"])))
    assert shown["id"] == made["id"] and shown["goals"] == made["goals"] and shown["review"] == made["review"]
    with pytest.raises(CommandError, match="No plan"):
        run("show", str(made["id"] + 1))
