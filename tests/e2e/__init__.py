"""End-to-end tests in Chromium against a real kefu server (run with `pytest -m e2e tests/e2e`)."""

# The password of every e2e persona (created by setup_data.py).
PASSWORD = "kefu-e2e-2026"
