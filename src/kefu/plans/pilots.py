"""Pilots: an action applied to a subset (teams or categories) and its metrics compared against the
rest in the same period — the action's start up to today (or its due date if earlier), within the
plan's scope. Read through the registry only: one `core.metrics.compute(key, by=<dimension>)` per
metric, its groups summed into the pilot (the chosen teams or categories) and the rest (all others),
each figure the metric's own Σnum / Σden (a count is the total, a rate or a mean as the metric says)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kefu.core import metrics

from . import progress
from .models import Action


@dataclass
class PilotFigure:
    key: str
    name: str
    unit: str
    direction: str
    pilot: float | None
    rest: float | None
    start: date
    end: date

    @property
    def difference(self) -> float | None:
        if self.pilot is None or self.rest is None:
            return None
        return round(self.pilot - self.rest, 2)

    @property
    def better(self) -> bool | None:
        """Whether the pilot does better than the rest, by the metric's direction (None: a tie or no data)."""
        diff = self.difference
        if diff is None or diff == 0:
            return None
        return diff > 0 if self.direction == "higher" else diff < 0

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.key,
            "name": str(self.name),
            "unit": self.unit,
            "pilot": _round(self.pilot),
            "rest": _round(self.rest),
            "difference": self.difference,
            "better": self.better,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def compare(action: Action, *, on: date | None = None) -> list[PilotFigure]:
    """Pilot vs rest for each of the action's pilot metrics (empty for an action that is no pilot)."""
    if not action.pilot_dimension or not action.pilot_metrics:
        return []
    dim = action.pilot_dimension
    start = action.start
    end = min(action.due, on or progress.today())
    chosen = {str(v) for v in action.pilot_values}
    filters = {k: v for k, v in progress.scope_filters(action.plan).items() if k != dim}
    out = []
    for key in action.pilot_metrics:
        try:
            metric = metrics.get(key)
        except metrics.MetricError:
            continue
        if end < start:
            out.append(PilotFigure(key, metric.name, metric.unit, metric.direction, None, None, start, end))
            continue
        try:
            series = metrics.compute(key, start=start, end=end, by=dim, filters=filters)
        except metrics.MetricError:
            continue
        sums = {True: [0.0, 0.0], False: [0.0, 0.0]}
        seen = {True: False, False: False}
        for point in series.points:
            side = str(point.group) in chosen
            sums[side][0] += point.num
            sums[side][1] += point.den
            seen[side] = True
        figures = {
            side: (metric.value(*sums[side]) if seen[side] or metric.aggregate == "count" else None)
            for side in (True, False)
        }
        out.append(
            PilotFigure(
                key, metric.name, metric.unit, metric.direction, figures[True], figures[False], start, end
            )
        )
    return out
