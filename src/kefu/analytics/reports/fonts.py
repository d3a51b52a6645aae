"""The font the PDF report writes Chinese in (ADR 0013).

reportlab embeds TrueType fonts (glyf outlines; .ttf, or one face of a .ttc) as a subset, so the
PDF shows the same glyphs on every reader. It cannot embed CFF-outline OpenType fonts (Noto Sans
CJK, Source Han), so the search takes, in order:

1. `KEFU_PDF_FONT`: a path to a TrueType font with Chinese glyphs (an error naming it if it cannot
   be used: a setting that silently did nothing would be worse);
2. well-known TrueType CJK fonts: WenQuanYi Zen Hei / Micro Hei and Droid Sans Fallback (Debian:
   `apt-get install fonts-wqy-zenhei`), AR PL UMing, Microsoft YaHei / SimSun on Windows;
3. any other font fontconfig (`fc-list :lang=zh`) knows that reportlab can read;
4. otherwise reportlab's built-in CID font STSong-Light (Adobe-GB1): nothing to install and
   Chinese text is in the file, but the glyphs are not embedded — the PDF reader draws them with
   its own Chinese font (Acrobat, Chrome, Edge, Preview, Poppler with any CJK font all do).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

log = logging.getLogger("kefu.analytics")

KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",  # Fedora
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
CID_FONT = "STSong-Light"
FACE = "KefuCJK"
PROBE = "客服月报"  # a font that has these has the report's glyphs


class FontError(RuntimeError):
    """KEFU_PDF_FONT names a font the PDF cannot use."""


@dataclass(frozen=True)
class ReportFont:
    name: str  # the name reportlab draws with
    path: str  # "" for the built-in CID font
    embedded: bool


def _load_ttf(path: str) -> ReportFont:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(FACE, path, subfontIndex=0)
    face = font.face
    missing = [ch for ch in PROBE if ord(ch) not in face.charToGlyph]
    if missing:
        raise FontError(f"{path} has no Chinese glyphs ({''.join(missing)})")
    pdfmetrics.registerFont(font)
    return ReportFont(name=FACE, path=path, embedded=True)


def _fontconfig_candidates() -> list[str]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
    return [f for f in files if f.lower().endswith((".ttf", ".ttc"))]


@functools.lru_cache(maxsize=1)
def report_font() -> ReportFont:
    """The font to write the report in: an embedded TrueType CJK font when one is found."""
    chosen = os.environ.get("KEFU_PDF_FONT", "").strip()
    if chosen:
        try:
            return _load_ttf(chosen)
        except Exception as err:  # reportlab raises its own TTFError, OSError, KeyError…
            raise FontError(
                f"KEFU_PDF_FONT={chosen}: cannot use it for the PDF report ({err}). "
                "It must be a TrueType font (.ttf or .ttc with TrueType outlines) with Chinese glyphs, "
                "e.g. /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc (apt-get install fonts-wqy-zenhei)."
            ) from err
    for path in (*KNOWN_FONTS, *_fontconfig_candidates()):
        if not os.path.isfile(path):
            continue
        try:
            return _load_ttf(path)
        except Exception as err:  # CFF outlines (Noto CJK), a broken file: try the next one
            log.debug("PDF font %s not usable: %s", path, err)
    return builtin_font()


def builtin_font() -> ReportFont:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    log.warning(
        "PDF report: no TrueType Chinese font found, using the built-in %s (not embedded: the PDF "
        "reader supplies the glyphs). Install one to embed it: apt-get install fonts-wqy-zenhei, "
        "or set KEFU_PDF_FONT to a .ttf/.ttc file.",
        CID_FONT,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return ReportFont(name=CID_FONT, path="", embedded=False)
