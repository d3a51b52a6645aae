"""A goal's chart for the exports: the daily values so far (blue), the fitted trend over the whole
period (orange, dashed), the target (green) and the forecast band at the period's end (orange bar).

One geometry, two renderers: a reportlab Drawing for the PDF (vector, drawn with the report's font)
and a PNG drawn with Pillow (reportlab's dependency) for the DOCX, which cannot hold vector art.
No network, no browser: the same picture the plan page draws with ECharts."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

BLUE = "#206bc4"
ORANGE = "#f76707"
GREEN = "#2fb344"
GRID = "#dce1e7"
TEXT = "#667382"


@dataclass
class ChartSpec:
    title: str
    unit: str
    values: list[float | None]  # the daily values so far
    total_days: int  # the days of the whole period (the x axis)
    trend: list[float | None] = field(default_factory=list)
    target: float | None = None
    low: float | None = None
    high: float | None = None
    start: str = ""
    end: str = ""
    labels: tuple[str, str, str] = ("Actual", "Trend", "Target")

    @property
    def drawable(self) -> bool:
        return any(v is not None for v in self.values)


@dataclass
class Geometry:
    width: float
    height: float
    left: float
    right: float
    bottom: float  # y grows downwards here (image convention); the PDF flips it
    top: float
    low: float
    high: float
    days: int

    def x(self, i: float) -> float:
        return self.left + (self.right - self.left) * (i / max(1, self.days - 1))

    def y(self, v: float) -> float:
        return self.bottom - (self.bottom - self.top) * ((v - self.low) / (self.high - self.low))


def number(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.0f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def geometry(spec: ChartSpec, width: float, height: float, *, scale: float = 1.0) -> Geometry:
    known = [v for v in (*spec.values, *spec.trend, spec.target, spec.low, spec.high) if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    floor = low - pad
    if low >= 0 > floor:  # counts, rates and durations do not go below zero
        floor = 0.0
    return Geometry(
        width=width,
        height=height,
        left=36 * scale,
        right=width - 8 * scale,
        bottom=height - 16 * scale,
        top=16 * scale,
        low=floor,
        high=high + pad,
        days=max(spec.total_days, len(spec.values), 2),
    )


def legend(spec: ChartSpec) -> list[tuple[str, str]]:
    """The legend's entries: only the series the chart draws."""
    drawn = (True, any(v is not None for v in spec.trend), spec.target is not None)
    return [
        (text, colour)
        for text, colour, shown in zip(spec.labels, (BLUE, ORANGE, GREEN), drawn, strict=True)
        if shown
    ]


def _runs(g: Geometry, values: list[float | None]) -> list[list[tuple[float, float]]]:
    """Polylines through neighbouring known values (a day without a value leaves a gap)."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
            continue
        current.append((g.x(i), g.y(v)))
    if current:
        runs.append(current)
    return runs


def _dashes(
    points: list[tuple[float, float]], on: float, off: float
) -> list[tuple[tuple[float, float], ...]]:
    out = []
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        t = 0.0
        while t < length:
            a, b = t / length, min(t + on, length) / length
            out.append(((x1 + (x2 - x1) * a, y1 + (y2 - y1) * a), (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b)))
            t += on + off
    return out


# --------------------------------------------------------------------------- PDF (reportlab)


def drawing(spec: ChartSpec, width: float, height: float, font: str) -> Any:
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors

    g = geometry(spec, width, height)
    d = Drawing(width, height)

    def fy(y: float) -> float:  # image y (down) → PDF y (up)
        return height - y

    for fraction in (0.0, 0.5, 1.0):
        level = g.low + (g.high - g.low) * fraction
        y = fy(g.y(level))
        d.add(Line(g.left, y, g.right, y, strokeColor=colors.HexColor(GRID), strokeWidth=0.5))
        d.add(
            String(g.left - 3, y - 2, number(level, spec.unit), fontName=font, fontSize=6, textAnchor="end")
        )
    d.add(String(g.left, 3, spec.start, fontName=font, fontSize=6))
    d.add(String(g.right, 3, spec.end, fontName=font, fontSize=6, textAnchor="end"))
    if spec.target is not None:
        y = fy(g.y(spec.target))
        d.add(Line(g.left, y, g.right, y, strokeColor=colors.HexColor(GREEN), strokeWidth=1))
    for run in _runs(g, spec.trend):
        if len(run) > 1:
            d.add(
                PolyLine(
                    [c for x, y in run for c in (x, fy(y))],
                    strokeColor=colors.HexColor(ORANGE),
                    strokeWidth=1,
                    strokeDashArray=[3, 2],
                )
            )
    blue = colors.HexColor(BLUE)
    for run in _runs(g, spec.values):
        if len(run) == 1:
            d.add(Circle(run[0][0], fy(run[0][1]), 1.5, fillColor=blue, strokeColor=blue))
            continue
        flat = [c for x, y in run for c in (x, fy(y))]
        d.add(PolyLine(flat, strokeColor=blue, strokeWidth=1.3))
    if spec.low is not None and spec.high is not None:
        x = g.right - 2
        top, bottom = fy(g.y(spec.high)), fy(g.y(spec.low))
        d.add(
            Rect(x - 2, bottom, 4, max(0.5, top - bottom), fillColor=colors.HexColor(ORANGE), strokeWidth=0)
        )
    x = g.left
    for text, colour in legend(spec):
        d.add(Line(x, height - 7, x + 10, height - 7, strokeColor=colors.HexColor(colour), strokeWidth=1.5))
        d.add(String(x + 13, height - 9, text, fontName=font, fontSize=6.5))
        x += 18 + 7 * len(text)
    return d


# --------------------------------------------------------------------------- PNG (Pillow)


def png(spec: ChartSpec, width: int = 900, height: int = 300, font_path: str = "") -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    scale = width / 450
    g = geometry(spec, width, height, scale=scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def font(size: float) -> Any:
        if font_path:
            try:
                return ImageFont.truetype(font_path, int(size * scale))
            except OSError:
                pass
        return ImageFont.load_default(size=int(size * scale))

    small = font(6.5)
    for fraction in (0.0, 0.5, 1.0):
        level = g.low + (g.high - g.low) * fraction
        y = g.y(level)
        draw.line([(g.left, y), (g.right, y)], fill=GRID, width=max(1, int(scale / 2)))
        draw.text((g.left - 4 * scale, y), number(level, spec.unit), fill=TEXT, font=small, anchor="rm")
    draw.text((g.left, height - 2 * scale), spec.start, fill=TEXT, font=small, anchor="ld")
    draw.text((g.right, height - 2 * scale), spec.end, fill=TEXT, font=small, anchor="rd")
    if spec.target is not None:
        y = g.y(spec.target)
        draw.line([(g.left, y), (g.right, y)], fill=GREEN, width=int(1.2 * scale))
    for run in _runs(g, spec.trend):
        for a, b in _dashes(run, 3 * scale, 2 * scale):
            draw.line([a, b], fill=ORANGE, width=max(1, int(scale)))
    for run in _runs(g, spec.values):
        if len(run) == 1:
            x, y = run[0]
            r = 1.8 * scale
            draw.ellipse([x - r, y - r, x + r, y + r], fill=BLUE)
        else:
            draw.line(run, fill=BLUE, width=int(1.5 * scale), joint="curve")
    if spec.low is not None and spec.high is not None:
        x = g.right - 2 * scale
        draw.rectangle([x - 2 * scale, g.y(spec.high), x + 2 * scale, g.y(spec.low)], fill=ORANGE)
    x = g.left
    for text, colour in legend(spec):
        draw.line([(x, 7 * scale), (x + 10 * scale, 7 * scale)], fill=colour, width=int(1.5 * scale))
        draw.text((x + 13 * scale, 7 * scale), text, fill="black", font=small, anchor="lm")
        x += draw.textlength(text, font=small) + 22 * scale
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)
    return out.getvalue()
