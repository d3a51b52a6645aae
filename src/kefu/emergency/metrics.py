"""The emergency figures in the metric registry (core.metrics).

- emergency_activations: incidents opened (by a trigger or by hand), by the day they started.
- emergency_drills: drills run, by the day they started.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import daily, during

from .models import Activation


def _rows(drill: bool):  # noqa: ANN202
    def rows(win: Window, by: str | None) -> list[Row]:
        qs = during(Activation.objects.filter(is_drill=drill), "started_at", win)
        return daily(qs, "started_at", None, {}, num=Count("pk"))

    return rows


def register_all() -> None:
    metrics.register(
        Metric(
            key="emergency_activations",
            name=_("Emergency activations"),
            description=_("Incidents opened from emergency plans (drills not counted)."),
            unit="count",
            direction="lower",
            aggregate="count",
            formula=_("Activations of emergency plans that are not drills, by the day they started."),
            rows=_rows(False),
            app="emergency",
        )
    )
    metrics.register(
        Metric(
            key="emergency_drills",
            name=_("Emergency drills"),
            description=_("Drills of emergency plans run."),
            unit="count",
            direction="higher",
            aggregate="count",
            formula=_("Drills of emergency plans, by the day they started."),
            rows=_rows(True),
            app="emergency",
        )
    )
