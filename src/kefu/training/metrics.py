"""The training figures in the metric registry (core.metrics).

- training_coverage: enrolments completed ÷ enrolments due, on each enrolment's due day (trained ÷
  due; cut by team and agent).
- training_pass_rate: attempts passed ÷ attempts marked, on the day each was marked.
- onboarding_days: mean calendar days from the start of an onboarding to its confirmation (转正),
  on the day of the decision.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import apply_filters, daily, during, group_of

from .models import Attempt, AttemptStatus, Enrolment, Onboarding, OnboardingStatus

DIMENSIONS = ("team", "agent")
_PEOPLE = {"agent": "user_id", "team": "user__teams"}


def _people(qs: QuerySet[Any], win: Window) -> QuerySet[Any]:
    return apply_filters(qs, win.filters, _PEOPLE)


def coverage_rows(win: Window, by: str | None) -> list[Row]:
    qs = _people(Enrolment.objects.filter(due_on__gte=win.start, due_on__lte=win.end), win)
    keys = ["due_on"] + ([_PEOPLE[by]] if by else [])
    found = (
        qs.values(*keys)
        .annotate(
            num=Count("pk", filter=Q(completed_at__isnull=False), distinct=True),
            den=Count("pk", distinct=True),
        )
        .order_by()
    )
    return [
        Row(r["due_on"], group_of(r[_PEOPLE[by]]) if by else "", float(r["num"]), float(r["den"]))
        for r in found
    ]


def pass_rows(win: Window, by: str | None) -> list[Row]:
    qs = _people(
        during(
            Attempt.objects.filter(status__in=[AttemptStatus.PASSED, AttemptStatus.FAILED]), "marked_at", win
        ),
        win,
    )
    return daily(
        qs,
        "marked_at",
        by,
        _PEOPLE,
        num=Count("pk", filter=Q(status=AttemptStatus.PASSED), distinct=True),
        den=Count("pk", distinct=True),
    )


def onboarding_rows(win: Window, by: str | None) -> list[Row]:
    qs = _people(
        during(
            Onboarding.objects.filter(status=OnboardingStatus.CONFIRMED, days__isnull=False),
            "decided_at",
            win,
        ),
        win,
    )
    return daily(qs, "decided_at", by, _PEOPLE, num=Sum("days"), den=Count("pk"))


def register_all() -> None:
    common: dict[str, Any] = {"dimensions": DIMENSIONS, "app": "training"}
    metrics.register(
        Metric(
            key="training_coverage",
            name=_("Training coverage"),
            description=_("Share of training enrolments due that are complete (trained ÷ due)."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_("Enrolments completed ÷ enrolments due, on each enrolment's due day."),
            rows=coverage_rows,
            target=100.0,
            day_of="event",
            **common,
        )
    )
    metrics.register(
        Metric(
            key="training_pass_rate",
            name=_("Assessment pass rate"),
            description=_("Share of marked assessment attempts that passed."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_("Attempts passed ÷ attempts marked, on the day each was marked."),
            rows=pass_rows,
            target=95.0,
            **common,
        )
    )
    metrics.register(
        Metric(
            key="onboarding_days",
            name=_("Onboarding length"),
            description=_("Mean calendar days from the start of onboarding to confirmation (转正)."),
            unit="count",
            direction="lower",
            aggregate="mean",
            formula=_("Σ days from start to confirmation ÷ new hires confirmed, on the day of the decision."),
            rows=onboarding_rows,
            **common,
        )
    )
