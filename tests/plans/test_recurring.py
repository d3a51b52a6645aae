"""Recurring actions: the 10:00 and 16:00 sync and a monthly workshop create their occurrences on
working days of the plan's calendar only (Dragon Boat Festival, weekends and National Day skipped);
an invalid rule is refused (422 through the API); the periodic job run by several workers at once
creates each occurrence once (B5)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from kefu.plans import actions, recurring, services
from kefu.plans.errors import BadRule
from kefu.plans.models import Action
from tests.api.conftest import Api
from tests.routing.test_concurrency import _run_parallel

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def plan(db, lead_zhao):
    return services.create_plan(
        title="六月计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )


def _sync(plan, owner, rule="FREQ=DAILY;BYHOUR=10,16", start=date(2026, 6, 15), due=date(2026, 6, 21)):
    spec = actions.ActionSpec(
        title="部门同步会",
        kind="collaboration",
        owner=owner,
        start=start,
        due=due,
        rule=rule,
        checklist=["仓库延误", "质检退回"],
    )
    return spec


def test_daily_sync_at_ten_and_four_on_working_days_only(plan, lead_zhao, agent_li):
    sync = actions.create_action(plan, spec=_sync(plan, agent_li), by=lead_zhao)
    # created at once up to tomorrow: nothing yet (the sync starts on the 15th)
    assert sync.occurrences.count() == 0
    made = recurring.generate_for(sync, until=date(2026, 6, 21))
    slots = [
        a.occurs_at.astimezone(recurring.metrics.local_zone()) for a in sync.occurrences.order_by("occurs_at")
    ]
    # Mon 15 – Thu 18; Fri 19 is the Dragon Boat Festival, then the weekend
    assert made == 8
    assert [(s.day, s.hour, s.minute) for s in slots] == [
        (d, h, 0) for d in (15, 16, 17, 18) for h in (10, 16)
    ]
    first = sync.occurrences.order_by("occurs_at").first()
    assert first.owner == agent_li and first.due == date(2026, 6, 15) and first.title == "部门同步会"
    assert [i.text for i in first.checklist.all()] == ["仓库延误", "质检退回"]
    # running again creates nothing
    assert recurring.generate_for(sync, until=date(2026, 6, 21)) == 0
    assert Action.objects.filter(parent=sync).count() == 8


def test_monthly_workshop_skips_holidays(lead_zhao, agent_li):
    year = services.create_plan(
        title="年度计划", kind="team", period="2026", by=lead_zhao, prefill_review=False
    )
    spec = _sync(
        year,
        agent_li,
        rule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=14",
        start=date(2026, 1, 1),
        due=date(2026, 12, 31),
    )
    workshop = actions.create_action(year, spec=spec, by=lead_zhao)
    recurring.generate_for(workshop, until=date(2026, 12, 31))
    months = sorted(a.start.month for a in workshop.occurrences.all())
    # 1 Jan, 1 May, 1 Oct are holidays; 1 Feb, 1 Mar, 1 Aug, 1 Nov are weekends or days off
    assert months == [4, 6, 7, 9, 12]
    assert all(
        a.occurs_at.astimezone(recurring.metrics.local_zone()).hour == 14 for a in workshop.occurrences.all()
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SOMETIMES",
        "BYHOUR=10",
        "FREQ=DAILY;BYHOUR=25",
        "FREQ=MINUTELY",
        "DTSTART:20260101T000000\nRRULE:FREQ=DAILY",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=HOURLY;BYMINUTE=0,30",
    ],
)
def test_an_invalid_rule_is_refused(plan, lead_zhao, agent_li, rule):
    with pytest.raises(BadRule):
        actions.create_action(plan, spec=_sync(plan, agent_li, rule=rule), by=lead_zhao)
    assert Action.objects.count() == 0


def test_a_rule_that_never_meets_a_working_day_is_refused(plan, lead_zhao, agent_li):
    weekend = _sync(
        plan, agent_li, rule="FREQ=WEEKLY;BYDAY=SA,SU", start=date(2026, 6, 15), due=date(2026, 6, 19)
    )
    with pytest.raises(BadRule):
        actions.create_action(plan, spec=weekend, by=lead_zhao)


def test_api_refuses_an_invalid_rule_with_422(plan, lead_zhao, agent_li, settings):
    settings.KEFU_API_RATE = "10000/3600"
    api = Api()
    body = {
        "title": "同步会",
        "kind": "collaboration",
        "owner": agent_li.pk,
        "start": "2026-06-15",
        "due": "2026-06-21",
        "rule": "FREQ=EVERY;BYHOUR=10",
    }
    bad = api.post(lead_zhao, f"/plans/{plan.pk}/actions", body)
    assert bad.status_code == 422 and bad.json()["code"] == "bad_rule" and bad.json()["field"] == "rule"
    good = api.post(lead_zhao, f"/plans/{plan.pk}/actions", {**body, "rule": "FREQ=DAILY;BYHOUR=10,16"})
    assert good.status_code == 201, good.content
    assert good.json()["rule"] == "FREQ=DAILY;BYHOUR=10,16"


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_three_workers_create_each_occurrence_once(lead_zhao, agent_li):
    plan = services.create_plan(
        title="六月计划", kind="team", period="2026-06", by=lead_zhao, prefill_review=False
    )
    services.add_goal(
        plan, spec=services.GoalSpec(title="手工", target=1, direction="higher", owner=agent_li), by=lead_zhao
    )
    services.move_plan(plan, to="active", by=lead_zhao)
    sync = actions.create_action(
        plan, spec=_sync(plan, agent_li, start=date(2026, 6, 1), due=date(2026, 6, 30)), by=lead_zhao
    )
    already = sync.occurrences.count()  # 1–10 June up to tomorrow (the 11th): 9 working days × 2
    assert already == 18
    connection.close()
    made = []
    errors = _run_parallel(lambda _i: made.append(recurring.generate_due(until=date(2026, 6, 30))), [1, 2, 3])
    assert errors == []
    # 1–30 June: 21 working days (the 19th is a holiday) × 2 slots, each once
    assert Action.objects.filter(parent=sync).count() == 42
    assert sum(made) == 42 - already
    assert Action.objects.filter(parent=sync).values("occurs_at").distinct().count() == 42
