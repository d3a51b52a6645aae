"""SLA compliance in the metric registry (core.metrics), cut by target.

A timer has an outcome once it is met or breached; running, paused and cancelled timers (a
ticket solved before its first response was due cancels that timer, a merged duplicate cancels
them all) have none and are not counted. A timer that breached and was met later stays a breach.
The day of an outcome is the day it was decided: the breach instant, else the instant it was met.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import TICKET_DIMENSIONS, apply_filters, columns, daily, narrowed
from kefu.tickets.models import Ticket

from .models import SlaTimer, TimerState

DIMENSIONS = (*TICKET_DIMENSIONS, "target")
MET = Q(state=TimerState.MET)


def _decided(win: Window) -> tuple[QuerySet[SlaTimer], dict[str, str]]:
    paths = {**columns("ticket__"), "target": "metric"}
    qs = (
        SlaTimer.objects.filter(state__in=[TimerState.MET, TimerState.BREACHED])
        .annotate(decided_at=Coalesce("breached_at", "met_at"))
        .filter(decided_at__gte=win.since, decided_at__lt=win.until)
    )
    return apply_filters(qs, win.filters, paths), paths


def compliance_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _decided(win)
    return daily(qs, "decided_at", by, paths, num=Count("pk", filter=MET), den=Count("pk"))


def compliance_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    """The tickets whose timers were decided behind the point (met and breached)."""
    qs, _paths = _decided(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def register_all() -> None:
    metrics.register(
        Metric(
            key="sla_compliance",
            name=_("SLA compliance"),
            description=_("Share of SLA targets met in time."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Timers met before their due time ÷ timers met or breached, on the day each was "
                "decided (breach instant, else the instant it was met). Cancelled timers do not "
                "count; a breach met later stays a breach. Cut by target: first response, next "
                "response, resolution, acknowledgement, solution plan."
            ),
            rows=compliance_rows,
            drill=compliance_drill,
            dimensions=DIMENSIONS,
            app="sla",
        )
    )
