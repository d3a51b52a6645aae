"""Figures in words for the page and the PDF: 92.5 %, 12.3 分钟, 1,234, +2.1 个百分点, —.

The XLSX keeps the numbers themselves with a number format instead (`XLSX_FORMATS`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Excel number formats per metric unit. A percent is stored as a fraction (0.925) under "0.0%".
XLSX_FORMATS = {
    "count": "#,##0",
    "percent": "0.0%",
    "seconds": "#,##0",
    "minutes": "#,##0.0",
    "hours": "#,##0.0",
    "score": "0.00",
    "currency": "#,##0.00",
    "ratio": "0.00",
}
DASH = "—"


def unit_word(unit: str) -> str:
    words = {
        "seconds": pgettext("unit", "s"),
        "minutes": pgettext("unit", "min"),
        "hours": pgettext("unit", "h"),
        "percent": "%",
        "currency": pgettext("unit", "CNY"),
    }
    return words.get(unit, "")


def number(value: float, unit: str) -> str:
    if unit == "count" or (unit in ("currency",) and value == int(value)):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if unit == "seconds":
        return f"{value:,.0f}"
    if unit in ("score", "ratio"):
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def value_text(value: float | None, unit: str) -> str:
    """The figure with its unit, or a dash when there is nothing to show (no base this month)."""
    if value is None:
        return DASH
    if unit == "percent":
        return f"{value:.1f}%"
    word = unit_word(unit)
    return f"{number(value, unit)} {word}".strip()


def change_text(change: float | None, unit: str) -> str:
    """A signed change: percentage points for a percent, the unit otherwise."""
    if change is None:
        return DASH
    if abs(change) < 1e-9:
        return "±0"
    sign = "+" if change > 0 else "-"  # ASCII: not every CJK font has U+2212
    if unit == "percent":
        return _("%(sign)s%(value).1f pp") % {"sign": sign, "value": abs(change)}
    return f"{sign}{value_text(abs(change), unit)}"


def growth_text(growth: float | None) -> str:
    if growth is None:
        return pgettext("growth from nothing", "new")
    sign = "+" if growth > 0 else ("-" if growth < 0 else "±")
    return f"{sign}{abs(growth) * 100:.0f}%"


def xlsx_value(value: float | None, unit: str) -> float | None:
    """The number an XLSX cell holds for a figure (a percent as a fraction)."""
    if value is None:
        return None
    return value / 100.0 if unit == "percent" else value
