"""Upgrading fills the business minutes of the first responses given before the column existed, on
the calendar of each ticket's team, else office hours (FAULTS D5)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.clock import SHANGHAI

BEFORE = [("tickets", "0007_verbose_names")]
AFTER = [("tickets", "0008_first_response_business_seconds")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # the models as the database has them now: every app at its applied migrations (customers,
    # sla… stay at their newest, tickets goes back and forth)
    applied = set(MigrationExecutor(connection).recorder.applied_migrations())
    return executor.loader.project_state([n for n in applied if n in executor.loader.graph.nodes]).apps


def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.fault("D5")
@pytest.mark.django_db(transaction=True)
def test_the_upgrade_backfills_business_minutes_on_the_teams_calendar():
    old = _migrate(BEFORE)
    team = old.get_model("accounts", "Team").objects.create(name="早班")
    old.get_model("sla", "BusinessCalendar").objects.create(
        name="早班日历", team=team, weekly=[[["10:00", "12:00"]]] * 5 + [[], []], statutory=True
    )
    customer = old.get_model("customers", "Customer").objects.create(name="张小明", email="x@example.cn")
    tickets = old.get_model("tickets", "Ticket").objects
    friday, monday = _at("2026-10-09 17:00"), _at("2026-10-12 10:00")
    early = tickets.create(subject="早班", customer=customer, team=team)
    office = tickets.create(subject="无团队", customer=customer)
    waiting = tickets.create(subject="未回复", customer=customer)
    tickets.filter(pk__in=[early.pk, office.pk]).update(created_at=friday, first_response_at=monday)
    try:
        new = _migrate(AFTER)
        stored = dict(
            new.get_model("tickets", "Ticket").objects.values_list("pk", "first_response_business_seconds")
        )
        # 早班: only the make-up Saturday 10-10 counts, 10:00–12:00; office hours: Friday 17:00–18:00,
        # Saturday 9:00–12:00 and 13:30–18:00, Monday 9:00–10:00
        assert stored == {early.pk: 2 * 3600, office.pk: 570 * 60, waiting.pk: None}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
