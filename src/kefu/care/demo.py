"""Demo care work: last month's callbacks and this month's key-customer list with its care tasks, so
the care pages have work on first start (the periodic jobs add to them later; both are idempotent)."""

from __future__ import annotations

from .tasks import generate_callbacks, generate_care


def after_tickets() -> None:
    generate_callbacks()
    generate_care()
