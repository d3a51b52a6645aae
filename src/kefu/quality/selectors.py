"""Read queries of the quality app. Fail closed: reviewers (QA, supervisors, administrators) see
reviews; an agent sees only their own submitted reviews; anything else is the same 404 as missing."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from kefu.tickets.models import Message, MessageKind, Ticket
from kefu.tickets.selectors import visible_tickets

from . import access
from .errors import NotFound
from .models import (
    CalibrationSession,
    CheckKind,
    Dispute,
    DisputeStatus,
    ReplyCheck,
    Review,
    ReviewStatus,
    Sample,
    Scorecard,
    ScorecardItem,
)

can_review = access.can_review
can_manage = access.can_manage


def can_see_own(user: Any) -> bool:
    return access.is_staff_agent(user)


def _reviews() -> QuerySet[Review]:
    return Review.objects.select_related("ticket", "ticket__customer", "reviewer", "agent", "scorecard")


def visible_reviews(user: Any) -> QuerySet[Review]:
    if can_review(user):
        return _reviews()
    if can_see_own(user):
        return _reviews().filter(agent=user, calibration__isnull=True).exclude(status=ReviewStatus.DRAFT)
    return Review.objects.none()


def access_review(user: Any, review_id: int) -> Review:
    found = visible_reviews(user).filter(pk=review_id).first()
    if found is None:
        raise NotFound("Review not found.")
    return found


def access_own_review(user: Any, review_id: int) -> Review:
    """A review the user wrote (reviewers editing their scoring)."""
    found = _reviews().filter(pk=review_id, reviewer_id=getattr(user, "pk", None)).first()
    if found is None or not can_review(user):
        raise NotFound("Review not found.")
    return found


def access_ticket(user: Any, ticket_id: int) -> Ticket:
    if not can_review(user):
        raise NotFound("Ticket not found.")
    found = visible_tickets(user).filter(pk=ticket_id, merged_into__isnull=True).first()
    if found is None:
        raise NotFound("Ticket not found.")
    return found


def access_dispute(user: Any, dispute_id: int) -> Dispute:
    found = (
        Dispute.objects.select_related("review", "review__ticket", "review__agent", "review__reviewer")
        .filter(pk=dispute_id)
        .first()
    )
    if found is None or not can_manage(user):
        raise NotFound("Dispute not found.")
    return found


def access_calibration(user: Any, session_id: int) -> CalibrationSession:
    found = CalibrationSession.objects.select_related("ticket", "scorecard").filter(pk=session_id).first()
    if found is None or not can_review(user):
        raise NotFound("Calibration session not found.")
    if not can_manage(user) and not found.reviewers.filter(pk=user.pk).exists():
        raise NotFound("Calibration session not found.")
    return found


def access_scorecard(user: Any, scorecard_id: int) -> Scorecard:
    found = Scorecard.objects.filter(pk=scorecard_id).first()
    if found is None or not can_review(user):
        raise NotFound("Scorecard not found.")
    return found


def list_scorecards(user: Any) -> QuerySet[Scorecard]:
    if not can_review(user):
        return Scorecard.objects.none()
    return Scorecard.objects.prefetch_related("items").order_by("-active", "name")


@dataclass
class QueueEntry:
    sample: Sample
    review: Review | None
    labels: list[str] = field(default_factory=list)  # the reasons, in words (views fill them in)


def list_queue(user: Any, *, include_done: bool = False) -> list[QueueEntry]:
    """The reviewer's samples (supervisors: also the unassigned ones), newest week first."""
    if not can_review(user):
        return []
    mine = Q(reviewer=user)
    if can_manage(user):
        mine |= Q(reviewer__isnull=True)
    samples = list(
        Sample.objects.filter(mine)
        .select_related("ticket", "ticket__customer", "agent", "reviewer")
        .order_by("-week", "ticket_id")[:500]
    )
    reviews = {
        r.ticket_id: r
        for r in Review.objects.filter(
            reviewer=user, calibration__isnull=True, ticket_id__in=[s.ticket_id for s in samples]
        )
    }
    out = [QueueEntry(s, reviews.get(s.ticket_id)) for s in samples]
    if not include_done:
        out = [e for e in out if e.review is None or e.review.status == ReviewStatus.DRAFT]
    return out


def list_my_reviews(user: Any) -> QuerySet[Review]:
    """The agent's own submitted reviews, with their dispute and coaching notes."""
    if not can_see_own(user):
        return Review.objects.none()
    return (
        _reviews()
        .filter(agent=user, calibration__isnull=True)
        .exclude(status=ReviewStatus.DRAFT)
        .select_related("dispute")
        .prefetch_related("coaching_notes")
        .order_by("-submitted_at", "-pk")
    )


def list_disputes(user: Any, *, open_only: bool = True) -> QuerySet[Dispute]:
    if not can_manage(user):
        return Dispute.objects.none()
    qs = Dispute.objects.select_related(
        "review", "review__ticket", "review__agent", "review__reviewer", "raised_by", "settled_by"
    )
    if open_only:
        qs = qs.filter(status=DisputeStatus.OPEN)
    return qs.order_by("raised_at", "pk")


def list_calibrations(user: Any) -> QuerySet[CalibrationSession]:
    if not can_review(user):
        return CalibrationSession.objects.none()
    qs = CalibrationSession.objects.select_related("ticket", "scorecard").annotate(
        scored=Count("reviews", filter=Q(reviews__status=ReviewStatus.SUBMITTED))
    )
    if not can_manage(user):
        qs = qs.filter(reviewers=user)
    return qs.order_by("-created_at")


@dataclass
class Section:
    name: str
    items: list[ScorecardItem] = field(default_factory=list)


def sections_of(scorecard: Scorecard) -> list[Section]:
    by_name: dict[str, Section] = {}
    for item in scorecard.items.all():
        by_name.setdefault(item.section, Section(item.section)).items.append(item)
    order = list(scorecard.sections or [])
    return sorted(by_name.values(), key=lambda s: order.index(s.name) if s.name in order else len(order))


@dataclass
class ConversationLine:
    message: Message
    checks: list[ReplyCheck]
    comments: list[Any]


def conversation(review: Review) -> list[ConversationLine]:
    """The ticket's public messages and internal notes, each with its check findings and comments."""
    messages = list(
        Message.objects.filter(ticket_id=review.ticket_id)
        .exclude(kind=MessageKind.SYSTEM)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    found: dict[int, list[ReplyCheck]] = defaultdict(list)
    for check in ReplyCheck.objects.filter(ticket_id=review.ticket_id):
        found[check.message_id].append(check)
    notes: dict[int | None, list[Any]] = defaultdict(list)
    for comment in review.comments.select_related("author"):
        notes[comment.message_id].append(comment)
    return [ConversationLine(m, found.get(m.pk, []), notes.get(m.pk, [])) for m in messages]


def general_comments(review: Review) -> list[Any]:
    return list(review.comments.filter(message__isnull=True).select_related("author"))


@dataclass
class Spread:
    label: str
    values: list[float]
    minimum: float | None
    maximum: float | None
    stddev: float | None
    item: ScorecardItem | None = None


def _spread(label: str, values: list[float], item: ScorecardItem | None = None) -> Spread:
    if not values:
        return Spread(label, [], None, None, None, item)
    return Spread(label, values, min(values), max(values), round(statistics.pstdev(values), 2), item)


def calibration_spread(session: CalibrationSession) -> tuple[list[Review], list[Spread], Spread]:
    """The submitted reviews of a session, the spread of each item's points (earned, 0 when
    missing N/A excluded) and of the totals: min, max, population standard deviation."""
    reviews = list(
        session.reviews.filter(status=ReviewStatus.SUBMITTED)
        .select_related("reviewer")
        .order_by("reviewer_id")
    )
    items = []
    for item in session.scorecard.items.all():
        values = [
            float(r.item_scores[str(item.pk)]) for r in reviews if r.item_scores.get(str(item.pk)) is not None
        ]
        items.append(_spread(item.text, values, item))
    totals = _spread("total", [float(r.total) for r in reviews if r.total is not None])
    return reviews, items, totals


def check_counts(
    *, since: datetime | None = None, until: datetime | None = None
) -> dict[int, dict[str, int]]:
    """{agent id: {check kind: number of findings}} on replies written in the period."""
    qs = ReplyCheck.objects.filter(agent__isnull=False)
    if since is not None:
        qs = qs.filter(message__created_at__gte=since)
    if until is not None:
        qs = qs.filter(message__created_at__lt=until)
    out: dict[int, dict[str, int]] = {}
    for row in qs.values("agent_id", "kind").annotate(n=Count("pk")).order_by():
        out.setdefault(row["agent_id"], {k: 0 for k in CheckKind.values})[row["kind"]] = row["n"]
    return out


def item_means(*, since: datetime, until: datetime) -> list[tuple[ScorecardItem, float, int]]:
    """Per scorecard item: mean share of its weight earned (0–100 %) over submitted reviews, and how many."""
    reviews = Review.objects.filter(
        calibration__isnull=True, submitted_at__gte=since, submitted_at__lt=until, total__isnull=False
    ).exclude(status=ReviewStatus.DRAFT)
    sums: dict[int, list[float]] = defaultdict(list)
    for scores in reviews.values_list("item_scores", flat=True):
        for key, value in (scores or {}).items():
            if value is not None and str(key).isdigit():
                sums[int(key)].append(float(value))
    items = ScorecardItem.objects.in_bulk(list(sums))
    out = []
    for pk, values in sums.items():
        item = items.get(pk)
        if item is not None and item.weight:
            out.append((item, 100 * sum(values) / len(values) / item.weight, len(values)))
    return sorted(out, key=lambda t: (t[0].scorecard_id, t[0].position))


def is_reviewed_agent(user: Any) -> bool:
    """Agents (not reviewers) get the "my quality reviews" link; reviewers reach it from their queue."""
    return can_see_own(user) and not can_review(user)
