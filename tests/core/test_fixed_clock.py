"""Every test runs at a fixed instant (tests/clock.py): what each clock reads, how a test asks for
another instant, and how a test that reads the real clock is caught."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kefu.core.clock import now
from tests.clock import SHANGHAI, instant

ROOT = Path(__file__).resolve().parents[2]


def test_every_clock_reads_the_suites_instant():
    start = instant()
    for reading in (now(), timezone.now(), datetime.now(UTC), datetime.fromtimestamp(time.time(), UTC)):
        assert timedelta(0) <= reading - start < timedelta(minutes=5)
    assert date.today() == start.astimezone(SHANGHAI).date()  # noqa: DTZ011 (frozen too; TZ is TIME_ZONE)
    assert timezone.localdate() == start.astimezone(SHANGHAI).date()


@pytest.mark.now("2026-10-01 09:00")
def test_a_test_names_the_instant_it_needs():
    assert timezone.localtime().strftime("%Y-%m-%d %H:%M") == "2026-10-01 09:00"


def test_time_moves_on_from_the_instant_so_timeouts_still_work(fixed_clock):
    before = now()
    time.sleep(0.05)
    assert now() > before
    fixed_clock.shift(timedelta(hours=2))
    assert now() - before >= timedelta(hours=2)


LEAKY = """
from datetime import date, datetime


def test_an_export_is_dated_today(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("ticket,subject")
    # the bug: a file's mtime comes from the kernel's clock, not the one the suite fixed
    assert datetime.fromtimestamp(export.stat().st_mtime).date() == date.today()


def test_an_honest_test_reads_the_suites_clock():
    assert datetime.now().date() == date.today()
"""


def test_a_test_that_reads_the_real_clock_fails_under_two_instants_a_year_apart(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.clock import fixed_clock  # noqa: F401\n")
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    outcomes = []
    for moment in ("2026-06-10 10:00", "2027-06-09 10:00"):  # as .ci/run's two full runs
        env = {**os.environ, "KEFU_TEST_NOW": moment, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", "-rA"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outcomes.append(done.stdout)
    assert any("FAILED test_leaky.py::test_an_export_is_dated_today" in out for out in outcomes), outcomes
    assert all("PASSED test_leaky.py::test_an_honest_test_reads_the_suites_clock" in out for out in outcomes)
