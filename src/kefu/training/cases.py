"""Reusable cases: every experienced agent turns one case a quarter into the knowledge base.

`generate(quarter)` makes one task per experienced agent (active agents and senior agents with at
least a year of service; the unique (user, quarter) row makes re-runs and concurrent runs add
nothing). `refresh(quarter)` marks a task done when a case of that agent's (knowledge article of
kind "case", author = the agent) is published within the quarter — a compare-and-set on the empty
`done_at`, so two workers at once record it once."""

from __future__ import annotations

from django.db.models import Q

from kefu.accounts.models import Role, User
from kefu.core.clock import now
from kefu.knowledge.models import Article, Kind
from kefu.knowledge.states import Status

from . import periods
from .models import CaseTask, Onboarding, OnboardingStatus

MIN_YEARS = 1


def experienced() -> Q:
    return Q(is_active=True, role__in=[Role.AGENT, Role.SENIOR_AGENT], seniority__gte=MIN_YEARS)


def generate(*, quarter: str) -> int:
    first, last = periods.quarter(quarter)
    name = periods.quarter_name(first)
    onboarding = Onboarding.objects.filter(status=OnboardingStatus.ACTIVE).values("user_id")
    people = User.objects.filter(experienced()).exclude(pk__in=onboarding)
    made = CaseTask.objects.bulk_create(
        [CaseTask(user=p, quarter=name, due_on=last) for p in people], ignore_conflicts=True
    )
    return len(made)


def refresh(*, quarter: str) -> int:
    """Mark done the tasks whose agent published a case in the quarter; returns how many changed."""
    first, last = periods.quarter(quarter)
    name = periods.quarter_name(first)
    since = periods.instant(first)
    until = periods.instant(last) + periods.ONE_DAY
    changed = 0
    for task in CaseTask.objects.filter(quarter=name, done_at__isnull=True):
        article = (
            Article.objects.filter(
                kind=Kind.CASE,
                status=Status.PUBLISHED,
                author_id=task.user_id,
                published_at__gte=since,
                published_at__lt=until,
            )
            .order_by("published_at")
            .first()
        )
        if article is None:
            continue
        changed += CaseTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=now(), article=article
        )
    return changed
