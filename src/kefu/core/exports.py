"""Tables taken out of kefu as CSV or Excel: formula injection neutralised, streamed in constant memory.

Any list kefu exports (tickets, a metric's series, the monthly report's tables) goes through here:

- every text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR or LF first, also
  after spaces or invisible characters, and their full-width forms) is prefixed with an apostrophe,
  so a customer who names themselves `=HYPERLINK(…)` cannot run anything on a supervisor's machine
  (FAULTS D3). Numbers, dates and times stay what they are, so a spreadsheet can add them up.
- rows are consumed one at a time: CSV leaves as a generator of byte chunks (a streaming response),
  XLSX is written by openpyxl's write-only mode into a temporary file on disk. A million rows cost
  the same memory as a thousand.
"""

from __future__ import annotations

import csv
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}

# A spreadsheet reads a cell as a formula when it starts with one of these, also after leading
# spaces, line breaks or invisible characters (zero-width space, BOM, direction marks), and some
# read the full-width and small forms a Chinese input method types (＝ ＋ － ＠, ﹦ ﹢ ﹣ ﹫) too.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_CHARS = frozenset("=+-@\u2212")  # and U+2212 MINUS SIGN


def formula_like(text: str) -> bool:
    if text.startswith(_FORMULA_START):
        return True
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue  # invisible: look at the next one
        return unicodedata.normalize("NFKC", char) in _FORMULA_CHARS
    return False


def safe_cell(value: object) -> str:
    """The cell's text, with an apostrophe first when a spreadsheet could read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def safe_value(value: object) -> Any:
    """Numbers, dates and times as themselves (a spreadsheet's numbers); anything else as safe text.

    A negative number is a number, not a formula: only text is ever read as one."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal | date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        return value
    return safe_cell(value)


class _Line:
    """csv.writer target that hands back what it was given instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    header: Sequence[object], rows: Iterable[Sequence[object]], *, batch: int = 500
) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (Excel opens Chinese right only with it), `batch` rows per chunk."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([safe_cell(h) for h in header])).encode("utf-8")
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow([_csv_text(v) for v in row]))
        if len(lines) >= batch:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")


def _csv_text(value: object) -> str:
    value = safe_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2, not 2.0: counts are summed as floats
    return str(value)


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def add_sheet(
    book: Any,
    title: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    formats: Sequence[str | None] = (),
    widths: Sequence[float | None] = (),
) -> int:
    """One sheet of a write-only openpyxl workbook: a bold header, then `rows` as they come.

    `formats[i]` is the number format of column i ("0.0", "0.0%", "yyyy-mm-dd"…); returns the rows written.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = book.create_sheet(safe_sheet_title(title))
    for i, width in enumerate(widths):
        if width:
            sheet.column_dimensions[_column_letter(i)].width = width
    bold = Font(bold=True)
    head = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(text))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        out: list[Any] = []
        for i, value in enumerate(row):
            value = safe_value(value)
            fmt = formats[i] if i < len(formats) else None
            if fmt and isinstance(value, int | float | Decimal | date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
        count += 1
    return count


def safe_sheet_title(title: str) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in str(title)).strip() or "Sheet"
    return cleaned[:31]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def new_workbook() -> Any:
    from openpyxl import Workbook

    return Workbook(write_only=True)


def save_workbook(book: Any) -> IO[bytes]:
    """The workbook in a temporary file (deleted when closed), positioned at its start."""
    # handed to the caller open (a FileResponse closes it, and the OS deletes it then)
    out = tempfile.TemporaryFile(prefix="kefu-export-", suffix=".xlsx")  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def xlsx_file(
    title: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    formats: Sequence[str | None] = (),
    widths: Sequence[float | None] = (),
) -> IO[bytes]:
    """A one-sheet workbook of `rows`, in a temporary file (openpyxl's write-only mode keeps the
    rows on disk as they come, so the size of the export does not show in memory)."""
    book = new_workbook()
    add_sheet(book, title, header, rows, formats=formats, widths=widths)
    return save_workbook(book)
