"""The monthly report as a PDF, drawn with reportlab (ADR 0013): A4, Chinese text, trend charts.

Sections as on the page: headline against last month and the same month last year, 12-month
trends, top issues, SLA breaches, the agent table. Built in memory: a month's report is a few
pages (the breach list is cut at BREACH_LIST rows here; the XLSX has every row).
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import display
from .fonts import report_font
from .monthly import MonthlyReport, period

GREEN = "#2fb344"
RED = "#d63939"
GREY = "#667382"
LINE = "#dce1e7"
HEAD_BG = "#f1f5f9"
SERIES_COLOURS = ("#206bc4", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#0ca678", "#f59f00")


def render_pdf(report: MonthlyReport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = report_font()
    styles = {
        "title": ParagraphStyle("title", fontName=font.name, fontSize=18, leading=24, spaceAfter=2 * mm),
        "meta": ParagraphStyle(
            "meta", fontName=font.name, fontSize=8.5, leading=12, textColor=colors.HexColor(GREY)
        ),
        "h2": ParagraphStyle(
            "h2", fontName=font.name, fontSize=12.5, leading=17, spaceBefore=5 * mm, spaceAfter=2 * mm
        ),
        "cell": ParagraphStyle("cell", fontName=font.name, fontSize=8, leading=10.5),
        "head": ParagraphStyle(
            "head", fontName=font.name, fontSize=7.5, leading=9.5, textColor=colors.HexColor(GREY)
        ),
        "note": ParagraphStyle(
            "note", fontName=font.name, fontSize=8, leading=11, textColor=colors.HexColor(GREY)
        ),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=report.title,
        author=settings.KEFU_COMPANY,
        subject=report.title,
        creator="kefu",
    )
    width = doc.width
    story: list[Any] = [
        Paragraph(_esc(report.title), styles["title"]),
        Paragraph(
            _esc(
                _("%(company)s · %(start)s – %(end)s · made %(made)s")
                % {
                    "company": settings.KEFU_COMPANY,
                    "start": report.start.isoformat(),
                    "end": report.end.isoformat(),
                    "made": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M"),
                }
            ),
            styles["meta"],
        ),
    ]
    story += _headline(report, styles, width)
    story += _trends(report, styles, width, font.name)
    story += _issues(report, styles, width)
    story += _sla(report, styles, width)
    story += _agents(report, styles, width)
    if report.unavailable:
        story.append(Spacer(1, 4 * mm))
        story.append(
            Paragraph(
                _esc(_("Not available yet: %(keys)s.") % {"keys": ", ".join(report.unavailable)}),
                styles["note"],
            )
        )

    def footer(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 7.5)
        canvas.setFillColor(colors.HexColor(GREY))
        canvas.drawString(doc_.leftMargin, 9 * mm, f"kefu · {report.period}")
        canvas.drawRightString(A4[0] - doc_.rightMargin, 9 * mm, str(doc_.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _esc(text: object) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def _table(rows: list[list[Any]], widths: list[float], *, extra: list[tuple] | None = None) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor(LINE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    table.setStyle(TableStyle(style + (extra or [])))
    return table


def _p(text: object, style: Any, *, colour: str = "", align: str = "") -> Any:
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.platypus import Paragraph

    if align == "right" and style.alignment != TA_RIGHT:
        style = style.clone(style.name + "-r", alignment=TA_RIGHT)
    body = _esc(text)
    if colour:
        body = f'<font color="{colour}">{body}</font>'
    return Paragraph(body, style)


def _tone(verdict: str) -> str:
    return {"better": GREEN, "worse": RED}.get(verdict, "")


def _headline(report: MonthlyReport, styles: dict, width: float) -> list[Any]:
    from reportlab.platypus import Paragraph

    head = [
        _p(_("Metric"), styles["head"]),
        _p(_("This month"), styles["head"], align="right"),
        _p(_("Previous month"), styles["head"], align="right"),
        _p(pgettext("difference", "Change"), styles["head"], align="right"),
        _p(_("Same month last year"), styles["head"], align="right"),
        _p(pgettext("difference", "Change"), styles["head"], align="right"),
        _p(_("Target"), styles["head"], align="right"),
    ]
    rows = [head]
    spans = []
    for f in report.headline:
        if not f.available:
            spans.append(("SPAN", (1, len(rows)), (-1, len(rows))))
            rows.append(
                [_p(f.name, styles["cell"]), _p(_("not available yet"), styles["note"]), "", "", "", "", ""]
            )
            continue
        rows.append(
            [
                _p(f.name, styles["cell"]),
                _p(display.value_text(f.value, f.unit), styles["cell"], align="right"),
                _p(display.value_text(f.previous, f.unit), styles["cell"], align="right"),
                _p(
                    display.change_text(f.change_previous, f.unit),
                    styles["cell"],
                    colour=_tone(f.verdict_previous),
                    align="right",
                ),
                _p(display.value_text(f.last_year, f.unit), styles["cell"], align="right"),
                _p(
                    display.change_text(f.change_last_year, f.unit),
                    styles["cell"],
                    colour=_tone(f.verdict_last_year),
                    align="right",
                ),
                _p(
                    display.value_text(f.target, f.unit) if f.target is not None else "",
                    styles["cell"],
                    align="right",
                ),
            ]
        )
    first = width * 0.28
    rest = (width - first) / 6
    return [
        Paragraph(_esc(_("Headline figures")), styles["h2"]),
        _table(rows, [first] + [rest] * 6, extra=spans),
    ]


def _chart(trend: Any, months: list, width: float, height: float, font: str, colour: str) -> Any:
    """A 12-month line: gridlines at 0, half and the top, a dot per month that has a value, lines
    between neighbouring months that both have one (a month without a base leaves a gap)."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    unit = display.unit_word(trend.unit)
    drawing.add(
        String(0, height - 10, f"{trend.name}" + (f"（{unit}）" if unit else ""), fontName=font, fontSize=8.5)
    )
    left, bottom, right, top = 30.0, 14.0, width - 6, height - 18
    known = [v for v in trend.values if v is not None]
    low = min([0.0, *known])
    high = max([*known, 0.0])
    high = high * 1.1 if high > low else low + 1.0
    grid = colors.HexColor(LINE)
    for fraction in (0.0, 0.5, 1.0):
        level = low + (high - low) * fraction
        y = bottom + (top - bottom) * fraction
        drawing.add(Line(left, y, right, y, strokeColor=grid, strokeWidth=0.5))
        if trend.unit == "percent":
            label = f"{level:.0f}%"
        elif trend.unit == "count":
            label = f"{level:,.0f}"
        else:
            label = display.number(level, trend.unit)
        drawing.add(String(left - 3, y - 2, label, fontName=font, fontSize=6, textAnchor="end"))
    step = (right - left) / max(1, len(months) - 1)
    for i, month in enumerate(months):
        text = f"{month:%y}/{month:%m}" if i == 0 or month.month == 1 else f"{month:%m}"
        drawing.add(String(left + i * step, 3, text, fontName=font, fontSize=6, textAnchor="middle"))
    stroke = colors.HexColor(colour)
    points = [
        (left + i * step, bottom + (v - low) / (high - low) * (top - bottom)) if v is not None else None
        for i, v in enumerate(trend.values)
    ]
    for a, b in zip(points, points[1:], strict=False):
        if a is not None and b is not None:
            drawing.add(Line(a[0], a[1], b[0], b[1], strokeColor=stroke, strokeWidth=1.4))
    for p in points:
        if p is not None:
            drawing.add(Circle(p[0], p[1], 1.6, fillColor=stroke, strokeColor=stroke, strokeWidth=0))
    return drawing


def _trends(report: MonthlyReport, styles: dict, width: float, font: str) -> list[Any]:
    from reportlab.platypus import Paragraph, Table

    if not report.trends:
        return []
    cell_w = width / 2
    charts = [
        _chart(t, report.trend_months, cell_w - 6, 118, font, SERIES_COLOURS[i % len(SERIES_COLOURS)])
        for i, t in enumerate(report.trends)
    ]
    grid = [
        charts[i : i + 2] + ([""] if len(charts[i : i + 2]) == 1 else []) for i in range(0, len(charts), 2)
    ]
    months = f"{period(report.trend_months[0])} – {period(report.trend_months[-1])}"
    return [
        Paragraph(_esc(_("Trends, 12 months (%(months)s)") % {"months": months}), styles["h2"]),
        Table(grid, colWidths=[cell_w, cell_w]),
    ]


def _issues(report: MonthlyReport, styles: dict, width: float) -> list[Any]:
    from reportlab.platypus import Paragraph

    titles = {"category": _("Top categories"), "type": _("Top ticket types")}
    story: list[Any] = [Paragraph(_esc(_("Top issues (new tickets)")), styles["h2"])]
    any_rows = False
    for dimension, items in report.issues.items():
        if not items:
            continue
        any_rows = True
        rows = [
            [
                _p(titles.get(dimension, dimension), styles["head"]),
                _p(_("This month"), styles["head"], align="right"),
                _p(_("Previous month"), styles["head"], align="right"),
                _p(_("Growth"), styles["head"], align="right"),
            ]
        ]
        for item in items:
            growth = item.growth
            tone = RED if (growth is None or growth >= 0.2) else ""
            rows.append(
                [
                    _p(item.label, styles["cell"]),
                    _p(display.value_text(item.count, "count"), styles["cell"], align="right"),
                    _p(display.value_text(item.previous, "count"), styles["cell"], align="right"),
                    _p(display.growth_text(growth), styles["cell"], colour=tone, align="right"),
                ]
            )
        story.append(_table(rows, [width * 0.52] + [width * 0.16] * 3))
        story.append(Paragraph("", styles["note"]))
    if not any_rows:
        story.append(
            Paragraph(
                _esc(_("No new tickets this month, or the figure is not available yet.")), styles["note"]
            )
        )
    return story


def _sla(report: MonthlyReport, styles: dict, width: float) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    story: list[Any] = [Paragraph(_esc(_("SLA breaches")), styles["h2"])]
    if report.sla is None:
        story.append(Paragraph(_esc(_("SLA compliance: not available yet.")), styles["note"]))
    else:
        story.append(
            Paragraph(
                _esc(
                    _(
                        "SLA compliance %(value)s (previous month %(previous)s); targets missed: %(count)s (previous month %(before)s)."
                    )
                    % {
                        "value": display.value_text(report.sla.value, report.sla.unit),
                        "previous": display.value_text(report.sla.previous, report.sla.unit),
                        "count": display.value_text(report.breaches_count, "count"),
                        "before": display.value_text(report.breaches_previous, "count"),
                    }
                ),
                styles["cell"],
            )
        )
    if report.sla_targets:
        rows = [
            [
                _p(_("Target"), styles["head"]),
                _p(_("This month"), styles["head"], align="right"),
                _p(_("Previous month"), styles["head"], align="right"),
                _p(_("Breaches"), styles["head"], align="right"),
            ]
        ]
        for t in report.sla_targets:
            rows.append(
                [
                    _p(t.label, styles["cell"]),
                    _p(display.value_text(t.compliance, "percent"), styles["cell"], align="right"),
                    _p(display.value_text(t.previous, "percent"), styles["cell"], align="right"),
                    _p(display.value_text(t.breaches, "count"), styles["cell"], align="right"),
                ]
            )
        story.append(_table(rows, [width * 0.4] + [width * 0.2] * 3))
        story.append(Spacer(1, 4 * mm))
    if not report.breaches:
        story.append(Paragraph(_esc(_("No SLA timer was breached this month.")), styles["note"]))
        return story
    rows = [
        [
            _p(_("Ticket"), styles["head"]),
            _p(_("Subject"), styles["head"]),
            _p(_("Target"), styles["head"]),
            _p(_("Priority"), styles["head"]),
            _p(_("Team"), styles["head"]),
            _p(_("Assignee"), styles["head"]),
            _p(_("Breached at"), styles["head"]),
        ]
    ]
    for b in report.breaches:
        rows.append(
            [
                _p(b.number, styles["cell"]),
                _p(b.subject[:80], styles["cell"]),
                _p(b.metric, styles["cell"]),
                _p(b.priority, styles["cell"]),
                _p(b.team, styles["cell"]),
                _p(b.assignee, styles["cell"]),
                _p(
                    timezone.localtime(b.breached_at).strftime("%m-%d %H:%M") if b.breached_at else "",
                    styles["cell"],
                ),
            ]
        )
    w = width
    story.append(
        _table(
            rows,
            [w * 0.11, w * 0.31, w * 0.12, w * 0.08, w * 0.12, w * 0.12, w * 0.14],
            extra=[("ALIGN", (0, 0), (-1, -1), "LEFT")],
        )
    )
    if report.breaches_listed > len(report.breaches):
        story.append(
            Paragraph(
                _esc(
                    _("The first %(shown)d of %(total)d breached timers; the XLSX report lists every one.")
                    % {"shown": len(report.breaches), "total": report.breaches_listed}
                ),
                styles["note"],
            )
        )
    return story


def _agents(report: MonthlyReport, styles: dict, width: float) -> list[Any]:
    from reportlab.platypus import Paragraph

    story: list[Any] = [Paragraph(_esc(_("Agents")), styles["h2"])]
    if not report.agent_columns or not report.agents:
        story.append(
            Paragraph(
                _esc(_("No per-agent figures this month, or they are not available yet.")), styles["note"]
            )
        )
        return story
    head = [_p(_("Agent"), styles["head"])]
    for c in report.agent_columns:
        unit = display.unit_word(c.unit)
        head.append(
            _p(
                f"{c.name}" + (f"（{unit}）" if unit and c.unit != "percent" else ""),
                styles["head"],
                align="right",
            )
        )
    rows = [head]
    for a in report.agents:
        row = [_p(a.name, styles["cell"])]
        for c in report.agent_columns:
            value = a.values.get(c.key)
            text = (
                display.value_text(value, c.unit)
                if c.unit == "percent"
                else (display.number(value, c.unit) if value is not None else display.DASH)
            )
            row.append(_p(text, styles["cell"], align="right"))
        rows.append(row)
    first = width * 0.16
    rest = (width - first) / len(report.agent_columns)
    story.append(_table(rows, [first] + [rest] * len(report.agent_columns)))
    return story
