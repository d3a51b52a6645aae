"""Plan periods by label: a year (2026), a quarter (2026-Q4), a month (2026-10), or custom days.

`previous` is the period just before, of the same kind: the quarter before a quarter, the month
before a month, the year before a year, and for custom days the same number of days before."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .errors import BadPeriod


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), f"{y}")


def quarter(y: int, q: int) -> Period:
    first = date(y, 3 * q - 2, 1)
    last_month = 3 * q
    return Period(first, date(y, last_month, calendar.monthrange(y, last_month)[1]), f"{y}-Q{q}")


def month(y: int, m: int) -> Period:
    return Period(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), f"{y}-{m:02d}")


def custom(start: date, end: date) -> Period:
    if start > end:
        raise BadPeriod(_("The period starts after it ends."), field="period")
    if (end - start).days > 366 * 3:
        raise BadPeriod(_("A plan's period may span at most three years."), field="period")
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


def parse(label: str) -> Period:
    """2026 | 2026-Q4 | 2026-10 | 2026-10-01..2026-12-15 → Period; anything else → BadPeriod."""
    text = (label or "").strip().upper()
    try:
        if m := re.fullmatch(r"(\d{4})", text):
            return year(int(m[1]))
        if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text):
            return quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            return month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            return custom(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
    except ValueError:
        pass
    raise BadPeriod(
        _("Write the period as 2026, 2026-Q4, 2026-10 or 2026-10-01..2026-12-15."), field="period"
    )


def previous(period: Period) -> Period:
    if re.fullmatch(r"\d{4}", period.label):
        return year(period.start.year - 1)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", period.label):
        y, q = int(m[1]), int(m[2])
        return quarter(y - 1, 4) if q == 1 else quarter(y, q - 1)
    if re.fullmatch(r"\d{4}-\d{2}", period.label):
        before = period.start - timedelta(days=1)
        return month(before.year, before.month)
    end = period.start - timedelta(days=1)
    return custom(end - timedelta(days=period.days - 1), end)
