"""A plan as a Word document (python-docx): the same content as the PDF, Chinese text in an East
Asian font (Word and LibreOffice substitute their own CJK font when it is missing), each chart a PNG."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu.analytics.reports.fonts import report_font

from . import charts
from .content import Document, EvaluationPart

EAST_ASIAN = "Microsoft YaHei"
LATIN = "Calibri"


def _font_path() -> str:
    try:
        return report_font().path
    except Exception:  # noqa: BLE001 — a bad KEFU_PDF_FONT: the PNG labels fall back to Pillow's font
        return ""


def _east_asian(style_or_run: Any) -> None:
    from docx.oxml.ns import qn

    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)


def render_docx(doc: Document) -> bytes:
    from docx import Document as Docx
    from docx.shared import Cm, Pt

    word = Docx()
    for section in word.sections:
        section.left_margin = section.right_margin = Cm(1.8)
        section.top_margin = section.bottom_margin = Cm(1.6)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Table Grid"):
        with contextlib.suppress(KeyError):
            _east_asian(word.styles[name])
    word.styles["Normal"].font.size = Pt(10)
    word.core_properties.title = doc.title
    word.core_properties.author = doc.company
    font_path = _font_path()

    word.add_heading(doc.title, level=0)
    table = word.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in doc.meta:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    _small(word.add_paragraph(_("%(company)s · made %(made)s") % {"company": doc.company, "made": doc.made}))

    word.add_heading(_("Goals"), level=1)
    if not doc.goals:
        word.add_paragraph(_("No goals yet."))
    else:
        heads = (_("Goal"), _("Baseline"), _("Target"), _("Now"), _("Progress"), _("Forecast"), _("Status"))
        rows = [
            [f"{g.title}\n{g.metric}", g.baseline, g.target, g.value, g.progress, g.forecast, g.status]
            for g in doc.goals
        ]
        _grid(word, heads, rows)
        _small(word.add_paragraph(_("Forecast method") + ": " + doc.method))
        for g in doc.goals:
            if g.chart is None:
                continue
            p = word.add_paragraph()
            p.add_run(g.title).bold = True
            p.add_run(f"  {g.status} · {g.value} → {g.target}")
            word.add_picture(io.BytesIO(charts.png(g.chart, 900, 260, font_path)), width=Cm(13))

    for name, label, blocks in doc.sections:
        word.add_heading(label, level=1)
        if name == "review" and doc.findings:
            _grid(word, (_("Finding"), pgettext("plan", "Figure")), [[t, f] for t, f in doc.findings])
        for block in blocks:
            if block.kind == "chart" and block.chart is not None:
                word.add_paragraph(block.text)
                word.add_picture(io.BytesIO(charts.png(block.chart, 900, 260, font_path)), width=Cm(13))
            elif block.kind == "li":
                word.add_paragraph(block.text, style="List Bullet")
            elif block.kind == "h":
                word.add_heading(block.text, level=2)
            elif block.kind == "metric":
                word.add_paragraph().add_run(block.text).bold = True
            else:
                word.add_paragraph(block.text)

    if doc.actions is not None:
        word.add_heading(pgettext("plan", "Actions"), level=1)
        if doc.actions:
            _grid(word, (pgettext("plan", "Action"), _("Owner"), _("Dates"), _("Status")), doc.actions)
        else:
            word.add_paragraph(_("No actions yet."))

    word.add_heading(_("Evaluations"), level=1)
    if not doc.evaluations:
        word.add_paragraph(_("No evaluation yet."))
    for part in doc.evaluations:
        _evaluation(word, part, font_path)

    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _small(paragraph: Any) -> None:
    from docx.shared import Pt, RGBColor

    for run in paragraph.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x66, 0x73, 0x82)


def _grid(word: Any, heads: tuple[str, ...] | list[str], rows: list[list[str]]) -> Any:
    from docx.shared import Pt

    table = word.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(8.5)
    return table


def _evaluation(word: Any, part: EvaluationPart, font_path: str) -> None:
    from docx.shared import Cm

    word.add_heading(f"{part.title} · {part.period}", level=2)
    if part.goals:
        _grid(
            word,
            (_("Goal"), _("Result"), pgettext("plan", "Figure"), _("Target")),
            [
                [g["title"], g["result_label"], g.get("figure", "—"), str(g.get("target", ""))]
                for g in part.goals
            ],
        )
        for g in part.goals:
            if g.get("chart") is not None:
                word.add_paragraph(g["title"])
                word.add_picture(io.BytesIO(charts.png(g["chart"], 900, 240, font_path)), width=Cm(12))
    if part.kpis:
        word.add_heading(_("What moved in the KPIs"), level=3)
        _grid(
            word,
            (_("Metric"), _("This period"), _("Period before"), pgettext("difference", "Change")),
            [[k["name"], k["figure"], k["previous_figure"], k["change"]] for k in part.kpis],
        )
    acts = part.actions or {}
    if acts.get("available"):
        word.add_paragraph(
            _("Actions done: %(done)d; late: %(late)d; still open: %(open)d.")
            % {"done": len(acts["done"]), "late": len(acts["late"]), "open": acts.get("open", 0)}
        )
        for a in acts["late"]:
            word.add_paragraph(
                f"{pgettext('plan', 'Late')}: {a['title']} ({a['owner']}, {a['due']})", style="List Bullet"
            )
    word.add_heading(_("Conclusions"), level=3)
    for line in (part.conclusions or "—").splitlines():
        if line.strip():
            word.add_paragraph(line)
    _small(word.add_paragraph(part.signed or _("Not signed off yet.")))
