"""A plan as a document: PDF (reportlab, the analytics report's Chinese font, ADR 0013) and DOCX
(python-docx), charts drawn as images; `render(plan, fmt, user)` is the one entry point."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def render(plan: Any, fmt: str, *, user: Any = None) -> bytes:
    """The plan as `fmt` (pdf or docx), as `user` may read it (None: the operator)."""
    if fmt not in FORMATS:
        raise ValidationFailed(
            _("Unknown format %(fmt)s; choose pdf or docx.") % {"fmt": fmt},
            field="format",
            code="unknown_format",
        )
    from .content import build

    document = build(plan, user=user)
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(document)
    from .docx import render_docx

    return render_docx(document)
