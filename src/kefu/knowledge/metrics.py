"""Bot containment (机器人自助解决率) in the metric registry: the one definition of it.

    a conversation = the questions of one bot session (a question asked without a session is a
    conversation of its own), on the day of its first question; empty questions do not count;
    contained = the bot answered at least one of its questions, nobody marked that answer
    unhelpful, and the conversation was never handed to a person.

The knowledge-gap page's "self-service rate" (`gaps.bot_summary`) reads `counts()`, so the page
and the dashboards give the same figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import apply_filters, daily, narrowed

from .models import BotQuestion, Feedback, Outcome

DIMENSIONS = ("channel", "tier")
PATHS = {"channel": "channel", "tier": "customer__tier"}


def questions() -> QuerySet[BotQuestion]:
    return BotQuestion.objects.exclude(reason="empty_question")


def _same() -> QuerySet[BotQuestion]:
    return questions().filter(session=OuterRef("session"), owner=OuterRef("owner"))


ANSWERED = Q(outcome=Outcome.ANSWERED) & ~Q(feedback=Feedback.NOT_HELPFUL)


def contained() -> Q:
    """Whether the conversation started by this question was contained (a condition in SQL)."""
    return (Q(session="") & ANSWERED) | (
        ~Q(session="") & Exists(_same().filter(ANSWERED)) & ~Exists(_same().filter(outcome=Outcome.HANDOFF))
    )


def conversations(since: datetime | None = None, until: datetime | None = None) -> QuerySet[BotQuestion]:
    """The first question of each conversation starting in [since, until)."""
    earlier = _same().filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    qs = questions().filter(Q(session="") | ~Exists(earlier))
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def counts(since: datetime | None = None, until: datetime | None = None) -> tuple[int, int]:
    """(conversations, of which contained)."""
    found = conversations(since, until).aggregate(n=Count("pk"), contained=Count("pk", filter=contained()))
    return found["n"], found["contained"]


def rows(win: Window, by: str | None) -> list[Row]:
    qs = apply_filters(conversations(win.since, win.until), win.filters, PATHS)
    return daily(qs, "created_at", by, PATHS, num=Count("pk", filter=contained()), den=Count("pk"))


def handed_off_tickets(win: Window, by: str | None, group: str | None) -> QuerySet[Any]:
    """The drill of a point: the tickets the bot handed conversations off to in the period (what it
    did not contain; a contained conversation has no ticket). Cut by the ticket's channel."""
    from kefu.tickets.metrics.common import columns
    from kefu.tickets.models import Message, Ticket

    from .bot import HANDOFF_MARK

    point = narrowed(win, by, group)
    marks = Message.objects.filter(
        external_id__startswith=HANDOFF_MARK, created_at__gte=point.since, created_at__lt=point.until
    )
    channel = {"channel": point.filters["channel"]} if "channel" in point.filters else {}
    return apply_filters(Ticket.objects.filter(pk__in=marks.values("ticket_id")), channel, columns())


def register_all() -> None:
    metrics.register(
        Metric(
            key="bot_containment",
            name=_("Bot containment"),
            description=_("Share of bot conversations the bot answered without handing them to a person."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Conversations in which the bot answered a question, nobody marked that answer "
                "unhelpful and nothing was handed off to a person ÷ bot conversations, on the day of "
                "the conversation's first question. A question asked without a session is a "
                "conversation of its own; empty questions do not count."
            ),
            rows=rows,
            drill=handed_off_tickets,
            dimensions=DIMENSIONS,
            app="knowledge",
        )
    )
