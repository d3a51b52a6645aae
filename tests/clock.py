"""The suite's fixed instant: no test reads the real clock.

Every test starts at `instant()` and time moves on from there as usual (time-machine with
`tick=True`, so timeouts and sleeps still work). A test that needs another moment says so:

    @pytest.mark.now("2026-10-01 09:00")      # Asia/Shanghai unless an offset is given

`KEFU_TEST_NOW` moves the default instant for a whole run: `.ci/run` replays the routing, SLA and
automation tests on a Saturday, on National Day, at 23:59… and runs the second full suite a year
later, so a test that reads the real clock (a subprocess, a file's mtime, the database's NOW())
fails in at least one of the runs.

The end-to-end tests are the one exception: Chromium checks cookie expiry against the real clock,
so their server and the browser both run in real time and those tests assert nothing about dates.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday, an ordinary working day in office hours, far from any holiday.
DEFAULT_NOW = "2026-06-10 10:00"

# The calendar situations `.ci/run` replays the calendar-sensitive tests in (see .ci/run).
SITUATIONS = {
    "saturday": "2026-06-13 10:00",
    "sunday": "2026-06-14 10:00",
    "makeup-saturday": "2026-10-10 10:00",  # 调休: a working Saturday after National Day
    "national-day": "2026-10-01 10:00",
    "spring-festival-eve": "2026-02-16 10:00",  # 除夕
    "just-before-midnight": "2026-06-10 23:59",
    "just-after-midnight": "2026-06-11 00:01",
    "month-end": "2026-06-30 17:30",
}


def parse(text: str) -> datetime:
    """ "2026-10-01 09:00" (Asia/Shanghai) or any ISO 8601 instant with an offset."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def instant() -> datetime:
    return parse(os.environ.get("KEFU_TEST_NOW") or DEFAULT_NOW)


@pytest.fixture(autouse=True)
def fixed_clock(request):
    """Travel to the test's instant for the whole test (fixtures included)."""
    if request.node.get_closest_marker("e2e"):
        yield None
        return
    marker = request.node.get_closest_marker("now")
    destination = parse(marker.args[0]) if marker else instant()
    with time_machine.travel(destination, tick=True) as traveller:
        yield traveller
