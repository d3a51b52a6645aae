"""Upgrading keeps what supervisors chose: the old default weekdays ("12345", which nobody chose)
now follow the business calendar; weekdays a supervisor set stay as they were (FAULTS D5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("routing", "0003_triage_alternatives")]
AFTER = [("routing", "0004_working_days_follow_the_calendar")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.fault("D5")
@pytest.mark.django_db(transaction=True)
def test_the_old_default_weekdays_follow_the_calendar_after_the_upgrade():
    old = _migrate(BEFORE)
    user_model, status_model = old.get_model("accounts", "User"), old.get_model("routing", "AgentStatus")
    days = {"li": "12345", "wang": "67", "zhou": "1234567"}
    for name, working_days in days.items():
        user = user_model.objects.create(username=name, role="agent")
        status_model.objects.create(agent=user, working_days=working_days)
    try:
        new = _migrate(AFTER)
        after = {
            s.agent.username: s.working_days
            for s in new.get_model("routing", "AgentStatus").objects.select_related("agent")
        }
        assert after == {"li": "", "wang": "67", "zhou": "1234567"}
        back = _migrate(BEFORE)  # and the way back restores the old default
        assert back.get_model("routing", "AgentStatus").objects.filter(working_days="12345").count() == 1
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
