from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.workforce import services
from kefu.workforce.selectors import local_today, monday_of


@pytest.fixture
def patterns(db):
    return {
        "early": services.create_pattern(
            name="早班", start="08:00", end="16:30", break_start="12:00", break_minutes=30, by=None
        ),
        "late": services.create_pattern(
            name="晚班", start="13:00", end="21:30", break_start="17:30", break_minutes=30, by=None
        ),
        "night": services.create_pattern(name="夜班", start="21:00", end="08:00", by=None),
    }


@pytest.fixture
def this_week():
    return monday_of(local_today())


@pytest.fixture
def next_week(this_week):
    return this_week + timedelta(days=7)
