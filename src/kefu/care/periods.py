"""Months as care counts them: "2026-06" ↔ its first and last local day and instants."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from kefu.core.metrics import local_zone

from .errors import ValidationFailed

_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def parse(period: str) -> date:
    """The first day of the month "YYYY-MM"; ValidationFailed(field="period") otherwise."""
    match = _PERIOD.fullmatch((period or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(_("A month is written YYYY-MM, e.g. 2026-06."), field="period")
    return date(int(match.group(1)), int(match.group(2)), 1)


def name(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_day(first: date) -> date:
    return next_month(first) - timedelta(days=1)


def instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def bounds(first: date) -> tuple[datetime, datetime]:
    """[since, until) of the month in local time."""
    return instant(first), instant(next_month(first))


def months_back(first: date, n: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 - n, 12)
    return date(year, month + 1, 1)
