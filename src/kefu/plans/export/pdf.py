"""A plan as a PDF (A4), drawn with reportlab in the analytics report's Chinese font (ADR 0013:
an embedded TrueType CJK font when the machine has one, else the built-in STSong-Light)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu.analytics.reports.fonts import report_font

from . import charts
from .content import Document, EvaluationPart

GREY = "#667382"
LINE = "#dce1e7"
HEAD_BG = "#f1f5f9"
TONES = {
    "on_track": "#2fb344",
    "met": "#2fb344",
    "at_risk": "#f59f00",
    "off_track": "#d63939",
    "missed": "#d63939",
    "better": "#2fb344",
    "worse": "#d63939",
}


def _esc(text: object) -> str:
    return escape(str(text))


def render_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = report_font()
    st = {
        "title": ParagraphStyle("t", fontName=font.name, fontSize=18, leading=24, spaceAfter=2 * mm),
        "meta": ParagraphStyle(
            "m", fontName=font.name, fontSize=8.5, leading=12, textColor=colors.HexColor(GREY)
        ),
        "h2": ParagraphStyle(
            "h2", fontName=font.name, fontSize=13, leading=18, spaceBefore=5 * mm, spaceAfter=2 * mm
        ),
        "h3": ParagraphStyle(
            "h3", fontName=font.name, fontSize=10.5, leading=14, spaceBefore=3 * mm, spaceAfter=1 * mm
        ),
        "body": ParagraphStyle("b", fontName=font.name, fontSize=9.5, leading=14, spaceAfter=1.5 * mm),
        "li": ParagraphStyle(
            "li", fontName=font.name, fontSize=9.5, leading=14, leftIndent=5 * mm, bulletIndent=1 * mm
        ),
        "cell": ParagraphStyle("c", fontName=font.name, fontSize=8, leading=10.5),
        "head": ParagraphStyle(
            "hd", fontName=font.name, fontSize=7.5, leading=9.5, textColor=colors.HexColor(GREY)
        ),
        "note": ParagraphStyle(
            "n", fontName=font.name, fontSize=8, leading=11, textColor=colors.HexColor(GREY)
        ),
    }
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=doc.title,
        author=doc.company,
        subject=doc.title,
        creator="kefu",
    )
    width = pdf.width
    story: list[Any] = [Paragraph(_esc(doc.title), st["title"])]
    story.append(
        _table(
            [[_p(label, st["head"]), _p(value, st["cell"])] for label, value in doc.meta],
            [width * 0.18, width * 0.82],
            header=False,
        )
    )
    story.append(
        Paragraph(
            _esc(_("%(company)s · made %(made)s") % {"company": doc.company, "made": doc.made}), st["meta"]
        )
    )

    story.append(Paragraph(_esc(_("Goals")), st["h2"]))
    story += _goals(doc, st, width, font.name)

    for name, label, blocks in doc.sections:
        story.append(Paragraph(_esc(label), st["h2"]))
        if name == "review" and doc.findings:  # the review: its findings first
            rows = [[_p(_("Finding"), st["head"]), _p(pgettext("plan", "Figure"), st["head"])]]
            rows += [[_p(text, st["cell"]), _p(figure, st["cell"])] for text, figure in doc.findings]
            story.append(_table(rows, [width * 0.82, width * 0.18]))
            story.append(Spacer(1, 2 * mm))
        if not blocks:
            story.append(Paragraph("—", st["note"]))
        for block in blocks:
            if block.kind == "chart" and block.chart is not None:
                story.append(Paragraph(_esc(block.text), st["body"]))
                story.append(charts.drawing(block.chart, width * 0.6, 120, font.name))
            elif block.kind == "li":
                story.append(Paragraph(_esc(block.text), st["li"], bulletText="•"))
            elif block.kind == "h":
                story.append(Paragraph(_esc(block.text), st["h3"]))
            elif block.kind == "metric":
                story.append(Paragraph(f"<b>{_esc(block.text)}</b>", st["body"]))
            else:
                story.append(Paragraph(_esc(block.text), st["body"]))

    if doc.actions is not None:
        story.append(Paragraph(_esc(pgettext("plan", "Actions")), st["h2"]))
        if doc.actions:
            rows = [
                [_p(h, st["head"]) for h in (pgettext("plan", "Action"), _("Owner"), _("Dates"), _("Status"))]
            ]
            rows += [[_p(c, st["cell"]) for c in row] for row in doc.actions]
            story.append(_table(rows, [width * 0.46, width * 0.14, width * 0.26, width * 0.14]))
        else:
            story.append(Paragraph(_esc(_("No actions yet.")), st["note"]))

    story.append(Paragraph(_esc(_("Evaluations")), st["h2"]))
    if not doc.evaluations:
        story.append(Paragraph(_esc(_("No evaluation yet.")), st["note"]))
    for part in doc.evaluations:
        story += _evaluation(part, st, width, font.name)

    def footer(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 7.5)
        canvas.setFillColor(colors.HexColor(GREY))
        canvas.drawString(doc_.leftMargin, 9 * mm, f"kefu · {doc.title}"[:90])
        canvas.drawRightString(A4[0] - doc_.rightMargin, 9 * mm, str(doc_.page))
        canvas.restoreState()

    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _p(text: object, style: Any, *, colour: str = "") -> Any:
    from reportlab.platypus import Paragraph

    body = _esc(text)
    if colour:
        body = f'<font color="{colour}">{body}</font>'
    return Paragraph(body, style)


def _table(rows: list[list[Any]], widths: list[float], *, header: bool = True) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor(LINE)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)))
    table.setStyle(TableStyle(style))
    return table


def _goals(doc: Document, st: dict, width: float, font: str) -> list[Any]:
    from reportlab.platypus import Paragraph

    if not doc.goals:
        return [Paragraph(_esc(_("No goals yet.")), st["note"])]
    heads = (_("Goal"), _("Baseline"), _("Target"), _("Now"), _("Progress"), _("Forecast"), _("Status"))
    rows = [[_p(h, st["head"]) for h in heads]]
    for g in doc.goals:
        kind = _("core") if g.core else _("supporting")
        rows.append(
            [
                Paragraph(
                    f"{_esc(g.title)}<br/><font size='6.5' color='{GREY}'>{_esc(g.metric)} · {_esc(kind)} · "
                    f"{_esc(_('weight'))} {g.weight} · {_esc(_('deadline'))} {g.deadline} · {_esc(g.owner)}</font>",
                    st["cell"],
                ),
                _p(g.baseline, st["cell"]),
                _p(g.target, st["cell"]),
                _p(g.value, st["cell"]),
                _p(g.progress, st["cell"]),
                _p(g.forecast, st["cell"]),
                _p(g.status, st["cell"], colour=TONES.get(g.status_code, "")),
            ]
        )
    w = width
    story: list[Any] = [
        _table(rows, [w * 0.34, w * 0.09, w * 0.09, w * 0.09, w * 0.08, w * 0.19, w * 0.12]),
        Paragraph(_esc(_("Forecast method") + ": " + doc.method), st["note"]),
    ]
    drawn = [(g.title, g.chart) for g in doc.goals if g.chart is not None]
    if drawn:
        story.append(Paragraph(_esc(_("Goal charts")), st["h3"]))
        story += _chart_grid(drawn, st, width, font)
    return story


def _chart_grid(
    items: list[tuple[str, Any]], st: dict, width: float, font: str, height: float = 110
) -> list[Any]:
    """Charts two to a row, each under its title; a row is never split over two pages."""
    from reportlab.platypus import KeepTogether, Paragraph, Table

    cell = width / 2
    cells = [
        [Paragraph(_esc(title), st["cell"]), charts.drawing(spec, cell - 8, height, font)]
        for title, spec in items
    ]
    rows = []
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2]
        if len(pair) == 1:
            pair.append(["", ""])
        rows.append(
            KeepTogether(Table([[pair[0][0], pair[1][0]], [pair[0][1], pair[1][1]]], colWidths=[cell, cell]))
        )
    return rows


def _evaluation(part: EvaluationPart, st: dict, width: float, font: str) -> list[Any]:
    from reportlab.platypus import Paragraph

    story: list[Any] = [Paragraph(_esc(f"{part.title} · {part.period}"), st["h3"])]
    if part.goals:
        rows = [
            [_p(h, st["head"]) for h in (_("Goal"), _("Result"), pgettext("plan", "Figure"), _("Target"))]
        ]
        for g in part.goals:
            rows.append(
                [
                    _p(g["title"], st["cell"]),
                    _p(g["result_label"], st["cell"], colour=TONES.get(g.get("result", ""), "")),
                    _p(g.get("figure", "—"), st["cell"]),
                    _p(g.get("target", ""), st["cell"]),
                ]
            )
        story.append(_table(rows, [width * 0.55, width * 0.15, width * 0.15, width * 0.15]))
        story += _chart_grid(
            [(g["title"], g["chart"]) for g in part.goals if g.get("chart") is not None], st, width, font, 100
        )
    if part.kpis:
        story.append(Paragraph(_esc(_("What moved in the KPIs")), st["h3"]))
        rows = [
            [
                _p(h, st["head"])
                for h in (_("Metric"), _("This period"), _("Period before"), pgettext("difference", "Change"))
            ]
        ]
        for k in part.kpis:
            rows.append(
                [
                    _p(k["name"], st["cell"]),
                    _p(k["figure"], st["cell"]),
                    _p(k["previous_figure"], st["cell"]),
                    _p(k["change"], st["cell"], colour=TONES.get(k.get("verdict", ""), "")),
                ]
            )
        story.append(_table(rows, [width * 0.4, width * 0.18, width * 0.18, width * 0.24]))
    acts = part.actions or {}
    if acts.get("available"):
        story.append(
            Paragraph(
                _esc(
                    _("Actions done: %(done)d; late: %(late)d; still open: %(open)d.")
                    % {"done": len(acts["done"]), "late": len(acts["late"]), "open": acts.get("open", 0)}
                ),
                st["body"],
            )
        )
        for a in acts["late"]:
            story.append(
                Paragraph(
                    _esc(f"{pgettext('plan', 'Late')}: {a['title']} ({a['owner']}, {a['due']})"),
                    st["li"],
                    bulletText="•",
                )
            )
    story.append(Paragraph(_esc(_("Conclusions")), st["h3"]))
    for line in (part.conclusions or "—").splitlines() or ["—"]:
        if line.strip():
            story.append(Paragraph(_esc(line), st["body"]))
    story.append(Paragraph(_esc(part.signed or _("Not signed off yet.")), st["note"]))
    return story
