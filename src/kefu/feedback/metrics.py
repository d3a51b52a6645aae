"""The feedback figures in the metric registry (core.metrics).

- csat: answers scoring 4 or 5 ÷ answers, by the local day each answer was given.
- csat_very_satisfied: answers scoring 5 (非常满意) ÷ answers, same days.
- csat_response_rate: surveys answered ÷ surveys sent, by the day each survey was sent (an answer
  comes later, within the expiry: analytics' daily look-back and the answer's ticket event bring it in).
- nps: (promoters 9–10 − detractors 0–6) × 100 ÷ answers, by the day answered; a score −100…100.
- product_feedback_accuracy: 需求反馈 tags reviewed accurate ÷ tags reviewed, by the review day.

Survey figures are cut by the ticket's dimensions (its current channel, team, assignee…); NPS is a
customer's, so only by tier.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import TICKET_DIMENSIONS, apply_filters, columns, daily, during, narrowed
from kefu.tickets.models import Ticket

from .models import NpsSurvey, ProductFeedback, Review, Survey

SATISFIED = Q(score__gte=4)
VERY = Q(score=5)


def _answered(win: Window) -> tuple[QuerySet[Survey], dict[str, str]]:
    paths = columns("ticket__")
    qs = during(Survey.objects.filter(ticket__merged_into__isnull=True), "answered_at", win)
    return apply_filters(qs, win.filters, paths), paths


def csat_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _answered(win)
    return daily(qs, "answered_at", by, paths, num=Count("pk", filter=SATISFIED), den=Count("pk"))


def very_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _answered(win)
    return daily(qs, "answered_at", by, paths, num=Count("pk", filter=VERY), den=Count("pk"))


def csat_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _answered(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def _sent(win: Window) -> tuple[QuerySet[Survey], dict[str, str]]:
    paths = columns("ticket__")
    qs = during(Survey.objects.filter(ticket__merged_into__isnull=True), "sent_at", win)
    return apply_filters(qs, win.filters, paths), paths


def response_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _sent(win)
    return daily(
        qs, "sent_at", by, paths, num=Count("pk", filter=Q(answered_at__isnull=False)), den=Count("pk")
    )


def response_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _sent(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def nps_rows(win: Window, by: str | None) -> list[Row]:
    paths = {"tier": "customer__tier"}
    qs = apply_filters(during(NpsSurvey.objects.all(), "answered_at", win), win.filters, paths)
    net = Count("pk", filter=Q(score__gte=9)) - Count("pk", filter=Q(score__lte=6))
    return daily(qs, "answered_at", by, paths, num_as=_hundred, num=net, den=Count("pk"))


def _hundred(value: object) -> float:
    return 100.0 * float(value or 0)  # type: ignore[arg-type]


def _reviewed(win: Window) -> tuple[QuerySet[ProductFeedback], dict[str, str]]:
    paths = columns("ticket__")
    qs = during(ProductFeedback.objects.exclude(review=""), "reviewed_at", win)
    return apply_filters(qs, win.filters, paths), paths


def accuracy_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _reviewed(win)
    return daily(
        qs, "reviewed_at", by, paths, num=Count("pk", filter=Q(review=Review.ACCURATE)), den=Count("pk")
    )


def accuracy_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _reviewed(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def register_all() -> None:
    common = {"dimensions": TICKET_DIMENSIONS, "app": "feedback", "unit": "percent", "aggregate": "ratio"}
    metrics.register(
        Metric(
            key="csat",
            name=_("Customer satisfaction (CSAT)"),
            description=_("Share of survey answers that are satisfied or very satisfied (4 or 5 of 5)."),
            direction="higher",
            formula=_("Answers scoring 4 or 5 ÷ all answers, on the day each answer was given."),
            rows=csat_rows,
            drill=csat_drill,
            target=90.0,
            **common,
        )
    )
    metrics.register(
        Metric(
            key="csat_very_satisfied",
            name=_("Very satisfied"),
            description=_("Share of survey answers that are very satisfied (5 of 5, 非常满意)."),
            direction="higher",
            formula=_("Answers scoring 5 ÷ all answers, on the day each answer was given."),
            rows=very_rows,
            drill=csat_drill,
            **common,
        )
    )
    metrics.register(
        Metric(
            key="csat_response_rate",
            name=_("Survey response rate"),
            description=_("Share of satisfaction surveys sent that the customer answered."),
            direction="higher",
            formula=_("Surveys answered ÷ surveys sent, on the day each survey was sent."),
            rows=response_rows,
            drill=response_drill,
            **common,
        )
    )
    metrics.register(
        Metric(
            key="nps",
            name=_("Net promoter score (NPS)"),
            description=_("Promoters (9–10) minus detractors (0–6), as a share of NPS answers; −100 to 100."),
            unit="score",
            direction="higher",
            aggregate="ratio",
            formula=_("(Answers 9–10 − answers 0–6) × 100 ÷ all answers, on the day each answer was given."),
            rows=nps_rows,
            dimensions=("tier",),
            app="feedback",
        )
    )
    metrics.register(
        Metric(
            key="product_feedback_accuracy",
            name=_("Product feedback accuracy"),
            description=_("Share of reviewed 需求反馈 tags a supervisor judged accurate."),
            direction="higher",
            formula=_("Tags reviewed accurate ÷ tags reviewed, on the day of the review."),
            rows=accuracy_rows,
            drill=accuracy_drill,
            target=90.0,
            **common,
        )
    )
