"""Real system servers the suite needs (Dovecot for IMAP, Chromium for e2e…).

A test never installs a server itself. Where one is missing, the test is skipped with the command
that installs it; under CI (`CI=true`, set by .ci/run) a missing server fails the test instead, so
a CI run proves that every real-server test ran.
"""

from __future__ import annotations

import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(what: str, *, found: bool, install: str) -> None:
    if found:
        return
    reason = f"{what} is not installed here: {install}"
    if under_ci():
        pytest.fail(f"{reason} (CI runs every real-server test; .ci/run installs it)", pytrace=False)
    pytest.skip(reason)
