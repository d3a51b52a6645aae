"""The knowledge-gap report: questions the bot could not answer (or answered unhelpfully),
grouped by meaning with the sentence encoder, biggest groups first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from kefu.core.clock import now

from . import metrics
from .models import BotQuestion, Feedback, Outcome
from .search import encoder, text

MAX_QUESTIONS = 2000
DISTANCE = 0.45  # cosine distance under which two questions are "the same question"


@dataclass
class Gap:
    label: str
    count: int
    examples: list[str]
    reasons: dict[str, int] = field(default_factory=dict)


def unanswered(days: int = 30) -> list[BotQuestion]:
    since = now() - timedelta(days=days)
    qs = BotQuestion.objects.filter(created_at__gte=since).filter(
        Q(outcome=Outcome.HANDOFF, reason__in=["low_confidence", "no_articles"])
        | Q(feedback=Feedback.NOT_HELPFUL)
        | Q(outcome=Outcome.SUGGESTED)
    )
    return list(qs.exclude(question="").order_by("-created_at")[:MAX_QUESTIONS])


def cluster(questions: list[str]) -> list[list[int]]:
    """Indexes of `questions`, grouped by meaning (agglomerative, cosine, average linkage)."""
    if not questions:
        return []
    if len(questions) == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    vectors = encoder.encode([text.normalise(q, limit=300) for q in questions])
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=DISTANCE
    ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    out = []
    for members in groups.values():
        centre = vectors[members].mean(axis=0)
        members.sort(key=lambda i: -float(vectors[i] @ centre))  # most typical first
        out.append(members)
    return sorted(out, key=len, reverse=True)


def gap_report(days: int = 30, *, limit: int = 30) -> list[Gap]:
    rows = unanswered(days)
    questions = [r.question[:300] for r in rows]
    gaps = []
    for members in cluster(questions)[:limit]:
        examples: list[str] = []
        reasons: dict[str, int] = {}
        for i in members:
            q = questions[i].strip()
            if q and q not in examples and len(examples) < 5:
                examples.append(q)
            key = rows[i].reason or rows[i].feedback or rows[i].outcome
            reasons[key] = reasons.get(key, 0) + 1
        gaps.append(
            Gap(label=examples[0] if examples else "", count=len(members), examples=examples, reasons=reasons)
        )
    return gaps


@dataclass
class BotSummary:
    """What the bot did with the questions of a period, for the people who own the knowledge base."""

    asked: int
    answered: int
    helpful: int
    unhelpful: int
    suggested: int
    handed_off: int
    handoff_reasons: dict[str, int]
    days: list[str]  # the chart's x axis, oldest first
    per_day: dict[str, list[int]]  # outcome → a count per day

    conversations: int = 0
    contained: int = 0

    @property
    def self_served(self) -> float:
        """自助解决率: the registered metric `bot_containment` (knowledge.metrics) over the period —
        conversations the bot answered without a hand-off and nobody marked unhelpful."""
        return self.contained / self.conversations if self.conversations else 0.0


def bot_summary(days: int = 30) -> BotSummary:
    since = now() - timedelta(days=days)
    qs = BotQuestion.objects.filter(created_at__gte=since).exclude(reason="empty_question")
    by_outcome = dict(qs.values_list("outcome").annotate(n=Count("id")).order_by())
    rated = qs.filter(outcome=Outcome.ANSWERED).aggregate(
        helpful=Count("id", filter=Q(feedback=Feedback.HELPFUL)),
        unhelpful=Count("id", filter=Q(feedback=Feedback.NOT_HELPFUL)),
    )
    reasons = dict(
        qs.filter(outcome=Outcome.HANDOFF).values_list("reason").annotate(n=Count("id")).order_by("-n")
    )
    conversations, contained = metrics.counts(since)
    local = timezone.get_current_timezone()
    rows = qs.annotate(day=TruncDate("created_at", tzinfo=local)).values_list("day", "outcome")
    counts = rows.annotate(n=Count("id")).order_by()
    first = timezone.localtime(since, local).date()
    axis = [first + timedelta(days=i) for i in range(days + 1)]
    per_day = {o: [0] * len(axis) for o in (Outcome.ANSWERED, Outcome.SUGGESTED, Outcome.HANDOFF)}
    for day, outcome, n in counts:
        if outcome in per_day and day is not None and first <= day <= axis[-1]:
            per_day[outcome][(day - first).days] += n
    return BotSummary(
        asked=sum(by_outcome.values()),
        answered=by_outcome.get(Outcome.ANSWERED, 0),
        helpful=rated["helpful"],
        unhelpful=rated["unhelpful"],
        suggested=by_outcome.get(Outcome.SUGGESTED, 0),
        handed_off=by_outcome.get(Outcome.HANDOFF, 0),
        handoff_reasons=reasons,
        days=[d.isoformat() for d in axis],
        per_day={str(k): v for k, v in per_day.items()},
        conversations=conversations,
        contained=contained,
    )


def draft_from_gap(examples: list[str], *, user: Any) -> dict[str, Any]:
    """Initial values of a new article for a gap: the questions, plus the agent answers that
    solved the most similar tickets (from the ticket search the user may see)."""
    from kefu.tickets.models import MessageKind
    from kefu.tickets.selectors import search_tickets

    answers: list[str] = []
    try:
        hits = search_tickets(user, examples[0], limit=5) if examples else []
    except Exception:  # noqa: BLE001 - a failed lookup only means no suggested answers
        hits = []
    for hit in hits:
        ticket = getattr(hit, "ticket", hit)
        if getattr(ticket, "status", "") not in ("solved", "closed"):
            continue
        reply = (
            ticket.messages.filter(kind=MessageKind.PUBLIC, from_customer=False)
            .order_by("-created_at")
            .first()
        )
        if reply and reply.body_text.strip() and reply.body_text.strip() not in answers:
            answers.append(reply.body_text.strip()[:1500])
        if len(answers) >= 3:
            break
    return {
        "title": (examples[0] if examples else "")[:300],
        "questions": "\n".join(examples[1:]),
        "body": "\n\n---\n\n".join(answers),
    }
