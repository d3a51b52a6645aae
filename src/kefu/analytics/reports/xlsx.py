"""The monthly report as an Excel workbook: real numbers under number formats, every row.

Sheets: headline (this month, previous month, same month last year, changes, target), trends
(one row per month, dates as dates), top issues, SLA breaches (every breached timer of the month,
read in chunks and written by openpyxl's write-only mode, so no row cap and no memory growth),
agents, SLA compliance by target. Percentages are stored as fractions under "0.0%", so 92.5 % is the number 0.925.
Text from tickets (subjects, names) goes through `core.exports.safe_value` (FAULTS D3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu.core import exports

from .display import XLSX_FORMATS, unit_word, xlsx_value
from .monthly import MonthlyReport, breached_timers

DATE = "yyyy-mm"
DATETIME = "yyyy-mm-dd hh:mm"
GROWTH = "+0%;-0%;0%"


def _fmt(unit: str, aggregate: str = "count") -> str:
    if unit == "count" and aggregate in ("ratio", "mean"):
        return "#,##0.0"  # tickets per agent-day: a count, not a whole number
    return XLSX_FORMATS.get(unit, "General")


def _name(name: str, unit: str) -> str:
    word = unit_word(unit)
    return f"{name} ({word})" if word and unit != "percent" else name


def _headline_rows(report: MonthlyReport) -> Iterator[list[Any]]:
    for f in report.headline:
        if not f.available:
            yield [f.name, f.key, _("not available yet")]
            continue
        yield [
            _name(f.name, f.unit),
            f.key,
            xlsx_value(f.value, f.unit),
            xlsx_value(f.previous, f.unit),
            xlsx_value(f.change_previous, f.unit),
            xlsx_value(f.last_year, f.unit),
            xlsx_value(f.change_last_year, f.unit),
            xlsx_value(f.target, f.unit),
        ]


def write_workbook(report: MonthlyReport) -> IO[bytes]:
    """The workbook in a temporary file, positioned at its start (the caller closes it)."""
    book = exports.new_workbook()
    _headline_sheet(book, report)
    _trend_sheet(book, report)
    _issue_sheet(book, report)
    _breach_sheet(book, report)
    _agent_sheet(book, report)
    _target_sheet(book, report)
    return exports.save_workbook(book)


def _headline_sheet(book: Any, report: MonthlyReport) -> None:
    # Each row has its own unit, so the format is per cell: one sheet per row would be silly, and
    # openpyxl's write-only cells carry their own number format.
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = book.create_sheet(exports.safe_sheet_title(_("Headline")))
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 26
    for col in "CDEFGH":
        sheet.column_dimensions[col].width = 14
    title = WriteOnlyCell(sheet, value=exports.safe_cell(report.title))
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append([exports.safe_cell(f"{report.start.isoformat()} – {report.end.isoformat()}")])
    header = [
        _("Metric"),
        _("Key"),
        _("This month"),
        _("Previous month"),
        pgettext("difference", "Change"),
        _("Same month last year"),
        pgettext("difference", "Change"),
        _("Target"),
    ]
    bold = Font(bold=True)
    head = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=exports.safe_cell(text))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    units = [(f.unit, f.aggregate) for f in report.headline]
    for (unit, aggregate), row in zip(units, _headline_rows(report), strict=True):
        out: list[Any] = []
        for i, value in enumerate(row):
            value = exports.safe_value(value)
            if i >= 2 and isinstance(value, int | float):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = _fmt(unit, aggregate)
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)


def _trend_sheet(book: Any, report: MonthlyReport) -> None:
    header = [_("Month")] + [_name(t.name, t.unit) for t in report.trends]
    formats = [DATE] + [_fmt(t.unit, t.aggregate) for t in report.trends]
    rows = (
        [month] + [xlsx_value(t.values[i], t.unit) for t in report.trends]
        for i, month in enumerate(report.trend_months)
    )
    exports.add_sheet(
        book, _("Trends"), header, rows, formats=formats, widths=[12] + [18] * len(report.trends)
    )


def _issue_sheet(book: Any, report: MonthlyReport) -> None:
    names = {"category": _("Category"), "type": _("Type")}
    header = [_("Dimension"), _("Name"), _("This month"), _("Previous month"), _("Growth")]
    rows = (
        [names.get(dim, dim), item.label, item.count, item.previous, item.growth]
        for dim, items in report.issues.items()
        for item in items
    )
    exports.add_sheet(
        book,
        _("Top issues"),
        header,
        rows,
        formats=[None, None, "#,##0", "#,##0", GROWTH],
        widths=[12, 40, 12, 12, 10],
    )


def _target_sheet(book: Any, report: MonthlyReport) -> None:
    header = [_("Target"), _("This month"), _("Previous month"), _("Breaches")]
    rows = (
        [t.label, xlsx_value(t.compliance, "percent"), xlsx_value(t.previous, "percent"), t.breaches]
        for t in report.sla_targets
    )
    exports.add_sheet(
        book,
        _("SLA by target"),
        header,
        rows,
        formats=[None, "0.0%", "0.0%", "#,##0"],
        widths=[20, 12, 12, 12],
    )


def _breach_sheet(book: Any, report: MonthlyReport) -> None:
    header = [
        _("Ticket"),
        _("Subject"),
        _("Target"),
        _("Priority"),
        _("Team"),
        _("Assignee"),
        _("Due"),
        _("Breached at"),
    ]
    rows = (
        [
            b.number,
            b.subject,
            b.metric,
            b.priority,
            b.team,
            b.assignee,
            timezone.localtime(b.due_at) if b.due_at else None,
            timezone.localtime(b.breached_at) if b.breached_at else None,
        ]
        for b in breached_timers(report.month)
    )
    exports.add_sheet(
        book,
        _("SLA breaches"),
        header,
        rows,
        formats=[None, None, None, None, None, None, DATETIME, DATETIME],
        widths=[12, 48, 14, 10, 14, 14, 17, 17],
    )


def _agent_sheet(book: Any, report: MonthlyReport) -> None:
    header = [_("Agent")] + [_name(c.name, c.unit) for c in report.agent_columns]
    formats = [None] + [_fmt(c.unit, c.aggregate) for c in report.agent_columns]
    rows = (
        [a.name] + [xlsx_value(a.values.get(c.key), c.unit) for c in report.agent_columns]
        for a in report.agents
    )
    exports.add_sheet(
        book, _("Agents"), header, rows, formats=formats, widths=[16] + [16] * len(report.agent_columns)
    )
