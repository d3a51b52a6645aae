"""The committed lock (uv.lock) stays in step with pyproject.toml; .ci/run refuses one that is not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / ".ci" / "check_lock.py"


def _check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK), str(folder)], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def project(tmp_path):
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_committed_lock_matches_pyproject():
    done = _check(ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "edit, says",
    [
        (('"tqdm>=4.66",', '"tqdm>=4.67",'), "tqdm >=4.67"),  # a range changed
        (('"tqdm>=4.66",', '"tqdm>=4.66",\n  "rich>=13",'), "not in the lock: rich"),  # a new dependency
        (('"tqdm>=4.66",', ""), "no longer in pyproject.toml: tqdm"),  # a dependency removed
        (('"ruff>=0.6",', "\"ruff>=0.6; python_version >= '3.12'\","), "ruff"),  # a marker added
    ],
)
def test_a_lock_out_of_date_fails_and_names_the_command_that_refreshes_it(project, edit, says):
    path = project / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    done = _check(project)
    assert done.returncode == 1
    assert says in done.stderr and "`uv lock`" in done.stderr


def test_a_missing_lock_fails(project):
    (project / "uv.lock").unlink()
    done = _check(project)
    assert done.returncode == 1 and "uv.lock is missing" in done.stderr
