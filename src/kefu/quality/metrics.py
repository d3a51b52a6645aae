"""The quality figures in the metric registry (core.metrics).

- qa_score: mean total (0–100) of submitted QA reviews (calibration reviews left out), on the day
  each was submitted; cut by agent (the reviewed agent), team and the ticket's other dimensions.
  Per scorecard item the registry has no dimension: selectors.item_means serves that table.
- qa_dispute_rate: reviews disputed ÷ reviews submitted, on the day each review was submitted.
- qa_sampling_coverage: solved tickets with a submitted QA review ÷ tickets solved, on the day each
  ticket was solved (the plans ask ≥10 % inspected).
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import TICKET_DIMENSIONS, apply_filters, columns, daily, during, narrowed
from kefu.tickets.models import Ticket
from kefu.tickets.states import DONE_STATUSES

from .models import Review, ReviewStatus


def _submitted(win: Window) -> tuple[QuerySet[Review], dict[str, str]]:
    paths = columns("ticket__", agent="agent_id")
    qs = during(
        Review.objects.filter(
            calibration__isnull=True, total__isnull=False, ticket__merged_into__isnull=True
        ).exclude(status=ReviewStatus.DRAFT),
        "submitted_at",
        win,
    )
    return apply_filters(qs, win.filters, paths), paths


def score_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _submitted(win)
    return daily(qs, "submitted_at", by, paths, num=Sum("total"), den=Count("pk"))


def score_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _submitted(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def dispute_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _submitted(win)
    return daily(
        qs, "submitted_at", by, paths, num=Count("pk", filter=Q(dispute__isnull=False)), den=Count("pk")
    )


def dispute_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _submitted(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.filter(dispute__isnull=False).values("ticket_id"))


def _solved(win: Window) -> tuple[QuerySet[Ticket], dict[str, str]]:
    paths = columns()
    reviewed = Review.objects.filter(ticket=OuterRef("pk"), calibration__isnull=True).exclude(
        status=ReviewStatus.DRAFT
    )
    qs = during(
        Ticket.objects.filter(merged_into__isnull=True, status__in=list(DONE_STATUSES)), "solved_at", win
    ).annotate(qa_reviewed=Exists(reviewed))
    return apply_filters(qs, win.filters, paths), paths


def coverage_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _solved(win)
    return daily(qs, "solved_at", by, paths, num=Count("pk", filter=Q(qa_reviewed=True)), den=Count("pk"))


def coverage_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _solved(narrowed(win, by, group))
    return qs.filter(qa_reviewed=True)


def register_all() -> None:
    metrics.register(
        Metric(
            key="qa_score",
            name=_("QA score"),
            description=_("Mean score of submitted quality reviews (0–100)."),
            unit="score",
            direction="higher",
            aggregate="mean",
            formula=_(
                "Σ review totals ÷ number of reviews submitted on the day (calibration reviews left out; "
                "a critical item failed scores 0; a settled dispute's changed score counts). Cut by "
                "agent: the reviewed agent."
            ),
            rows=score_rows,
            drill=score_drill,
            dimensions=TICKET_DIMENSIONS,
            app="quality",
        )
    )
    metrics.register(
        Metric(
            key="qa_dispute_rate",
            name=_("QA dispute rate"),
            description=_("Share of submitted quality reviews the agent disputed."),
            unit="percent",
            direction="lower",
            aggregate="ratio",
            formula=_("Reviews with a dispute ÷ reviews submitted, on the day each review was submitted."),
            rows=dispute_rows,
            drill=dispute_drill,
            dimensions=TICKET_DIMENSIONS,
            app="quality",
        )
    )
    metrics.register(
        Metric(
            key="qa_sampling_coverage",
            name=_("QA sampling coverage"),
            description=_("Share of solved tickets that got a quality review."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Solved or closed tickets with a submitted quality review ÷ tickets solved, on the day "
                "each ticket was solved."
            ),
            rows=coverage_rows,
            drill=coverage_drill,
            dimensions=TICKET_DIMENSIONS,
            app="quality",
            target=10.0,
        )
    )
