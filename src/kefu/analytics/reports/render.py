"""One report, any format: what the page's download links, `kefu report` and the mailer share."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kefu.core.exports import XLSX_TYPE

from .monthly import MonthlyReport, ReportError, period

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": XLSX_TYPE,
    "json": "application/json",
}


@dataclass(frozen=True)
class Rendered:
    filename: str
    content_type: str
    body: bytes


def filename(report: MonthlyReport, fmt: str) -> str:
    return f"kefu-monthly-report-{period(report.month)}.{fmt}"


def render(report: MonthlyReport, fmt: str) -> Rendered:
    if fmt not in FORMATS:
        raise ReportError(
            _("Unknown report format %(value)r: one of %(allowed)s.")
            % {"value": fmt[:10], "allowed": ", ".join(FORMATS)}
        )
    if fmt == "pdf":
        from .pdf import render_pdf

        body = render_pdf(report)
    elif fmt == "xlsx":
        from .xlsx import write_workbook

        with write_workbook(report) as handle:
            body = handle.read()
    else:
        body = json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    return Rendered(filename(report, fmt), FORMATS[fmt], body)
