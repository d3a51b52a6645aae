"""Months ("2026-06") and quarters ("2026Q2") as training counts them, in local days."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from kefu.core.clock import now
from kefu.core.metrics import local_zone

from .errors import ValidationFailed

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


def today() -> date:
    return now().astimezone(local_zone()).date()


def month(text: str) -> tuple[date, date]:
    """First and last day of "YYYY-MM"; ValidationFailed(field="month") otherwise."""
    found = _MONTH.fullmatch((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValidationFailed(_("A month is written YYYY-MM, e.g. 2026-06."), field="month")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_name(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_name(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter(text: str) -> tuple[date, date]:
    """First and last day of "YYYYQn"; ValidationFailed(field="quarter") otherwise."""
    found = _QUARTER.fullmatch((text or "").strip().upper())
    if not found or int(found.group(1)) < 2000:
        raise ValidationFailed(_("A quarter is written YYYYQn, e.g. 2026Q2."), field="quarter")
    year, q = int(found.group(1)), int(found.group(2))
    first = date(year, 3 * q - 2, 1)
    nxt = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, nxt - timedelta(days=1)


ONE_DAY = timedelta(days=1)


def instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())
