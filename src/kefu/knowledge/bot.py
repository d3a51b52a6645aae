"""The FAQ bot: answer when sure, offer "did you mean" when unsure, hand off to a person otherwise.

`answer()` never raises on what a customer types: empty, huge, emoji, control characters, HTML or
SQL-looking text all end in an answer, suggestions or a clear hand-off. Customers only ever get
published public articles (FAULTS D2). Every question is logged as a BotQuestion.

A conversation (follow-up context, the transcript a hand-off files) is read only by its owner:
`converse()` takes the caller's signed session token (see bot_sessions.py) and every query here
filters on the session key *and* its owner (FAULTS A2, D2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.core.clock import now

from . import bot_sessions
from .models import Article, BotQuestion, Feedback, Outcome
from .search import engine, store, text
from .states import Status

ANSWER_AT = 0.60  # calibrated confidence needed to answer on our own
SUGGEST_AT = 0.20  # below this: hand off
CONTEXT_MINUTES = 30
MAX_LOGGED = 4000

HUMAN_CUES = ("转人工", "人工客服", "人工服务", "找人工", "要人工", "真人", "客服人员", "人工")
HUMAN_CUES_EN = re.compile(r"\b(human|agent|real person|representative|operator|talk to (a|some)one)\b")
COMPLAINT_CUES = (
    "投诉",
    "12315",
    "律师",
    "起诉",
    "法院",
    "曝光",
    "消协",
    "消费者协会",
    "工商局",
    "举报",
    "维权",
)
COMPLAINT_CUES_EN = re.compile(r"\b(complain|complaint|lawyer|sue|lawsuit|legal action|attorney)\b")
FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|那个|and |what about |how about )|[呢]\s*[?？]?\s*$")


@dataclass
class Suggestion:
    id: int
    external_id: str
    title: str
    score: float
    short_answer: str
    url: str


@dataclass
class BotAnswer:
    decision: str  # answer | suggest | handoff
    reason: str
    confidence: float
    articles: list[Suggestion]
    text: str
    question_id: int | None = None
    transcript: list[dict[str, str]] = field(default_factory=list)
    ticket_id: int | None = None  # the ticket the hand-off created or added to (known customers)
    ticket_number: str = ""
    session: str = ""  # the signed token of the conversation, to send with the next question (converse)

    def as_json(self, question: str) -> dict[str, Any]:
        return {
            "question": question,
            "decision": self.decision,
            "confidence": round(self.confidence, 4),
            "articles": [
                {"id": a.id, "external_id": a.external_id, "title": a.title, "score": round(a.score, 4)}
                for a in self.articles
            ],
        }


def _cue(normalised: str) -> str:
    if any(c in normalised for c in COMPLAINT_CUES) or COMPLAINT_CUES_EN.search(normalised):
        return "complaint"
    if any(c in normalised for c in HUMAN_CUES) or HUMAN_CUES_EN.search(normalised):
        return "asked_for_human"
    return ""


def _previous(session: str, owner: str) -> BotQuestion | None:
    if not session:
        return None
    return (
        BotQuestion.objects.filter(
            session=session, owner=owner, created_at__gte=now() - timedelta(minutes=CONTEXT_MINUTES)
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def search_public(query: str, *, language: str, limit: int = 3) -> engine.Result:
    index = store.get_index()
    return index.search(
        query, public_only=True, families=engine.pick_families(index, query, language), limit=limit
    )


def answer(
    question: Any,
    *,
    language: str = "zh-hans",
    channel: str = "web",
    customer: Any = None,
    session: str = "",
    owner: str = "",
    context: str = "",
    log: bool = True,
) -> BotAnswer:
    """`session` is a conversation key kefu made and `owner` the one it belongs to (callers on
    behalf of a person go through `converse`, which checks both). `context` is the previous
    question when the caller keeps the conversation itself (the API); otherwise the session's last
    question within CONTEXT_MINUTES is used."""
    question = question if isinstance(question, str) else str(question or "")
    question = question.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    norm = text.normalise(question)
    previous = _previous(session, owner)
    earlier = (previous.context_question or previous.question) if previous is not None else ""
    earlier = earlier or (context if isinstance(context, str) else "").replace("\x00", "")[:MAX_LOGGED]
    context = ""
    # cues on the text before synonyms too: a group like 客服=人工 must not turn 转人工 into 转客服
    reason = _cue(text.clean(question)[: text.MAX_CHARS]) or _cue(norm)
    result = engine.Result(hits=[], confidence=0.0)
    if not reason and not norm.strip(" \t\r\n?？!！.。,，"):
        reason = "empty_question"
    if not reason:
        result = search_public(question, language=language)
        if earlier.strip() and (FOLLOW_UP.search(norm.strip()) or len(norm.strip()) <= 6):
            with_context = search_public(f"{earlier} {question}", language=language)
            if with_context.confidence >= result.confidence or FOLLOW_UP.search(norm.strip()):
                result = with_context
                context = earlier[:500]
        if not result.hits:
            reason = "no_articles"
    articles = _suggestions(result.hits[:3]) if not reason else []
    if not reason and not articles:  # every hit was unpublished behind the index's back
        reason = "no_articles"
    if reason:
        decision = Outcome.HANDOFF
    elif result.confidence >= ANSWER_AT:
        decision = Outcome.ANSWERED
    elif result.confidence >= SUGGEST_AT:
        decision = Outcome.SUGGESTED
    else:
        decision, reason = Outcome.HANDOFF, "low_confidence"
    reply = _reply_text(decision, reason, articles)
    bot = BotAnswer(
        decision={"answered": "answer", "suggested": "suggest", "handoff": "handoff"}[decision],
        reason=reason,
        confidence=float(result.confidence),
        articles=articles if decision != Outcome.ANSWERED else articles[:1],
        text=reply,
    )
    if log:
        row = BotQuestion.objects.create(
            session=(session or "")[:64],
            owner=owner[:80],
            customer=customer if getattr(customer, "pk", None) else None,
            channel=str(channel or "")[:20],
            language=str(language or "")[:10],
            question=question[:MAX_LOGGED],
            context_question=(f"{context} {question}".strip() if context else "")[:MAX_LOGGED],
            outcome=decision,
            reason=reason,
            article_id=articles[0].id if decision == Outcome.ANSWERED and articles else None,
            suggested=[a.id for a in articles],
            confidence=bot.confidence,
        )
        bot.question_id = row.pk
    if decision == Outcome.HANDOFF:
        bot.transcript = transcript(session, owner=owner, current=question, reply=reply)
        if log and getattr(customer, "pk", None):
            ticket = hand_off(
                customer,
                session=session,
                owner=owner,
                question_id=bot.question_id,
                reason=reason,
                channel=channel,
            )
            bot.ticket_id, bot.ticket_number = ticket.pk, ticket.number
    return bot


def converse(question: Any, *, token: Any, owner: str, adopt_from: str = "", **options: Any) -> BotAnswer:
    """`answer` within the caller's own conversation. `token` is what the caller sent (the API's
    `session`, the help centre's stored token); one that is not a live conversation of `owner` —
    unknown, forged, tampered with, expired, someone else's — starts a fresh one, silently. The
    answer's `session` is the token to send next time."""
    conversation = bot_sessions.resume(token, owner=owner, adopt_from=adopt_from)
    result = answer(question, session=conversation.key, owner=conversation.owner, **options)
    result.session = conversation.token
    return result


HANDOFF_MARK = "kb-bot:"  # external_id prefix of the messages a hand-off writes on a ticket


def _render_transcript(lines: list[dict[str, str]]) -> str:
    who = {"customer": _("Customer"), "bot": _("Bot")}
    return "\n".join(f"{who.get(line['who'], line['who'])}: {line['text']}" for line in lines)


def hand_off(
    customer: Any, *, session: str, owner: str = "", question_id: int | None, reason: str, channel: str
) -> Any:
    """Put the conversation on a ticket for a person: the first hand-off of a bot session opens a
    ticket with the full transcript; a later one in the same session adds the lines since then to
    that ticket (reopening it if it was solved). Only the lines of `owner`'s own conversation are
    filed. Returns the ticket."""
    from kefu.tickets.models import Channel, Message, Priority, TicketType
    from kefu.tickets.services import customer_follow_up, open_ticket

    key = (session or f"q{question_id}")[:64]
    prefix = f"{HANDOFF_MARK}{key}:"
    earlier = (
        Message.objects.filter(external_id__startswith=prefix, ticket__customer=customer)
        .select_related("ticket")
        .order_by("-created_at", "-pk")
        .first()
    )
    since = None
    if earlier is not None:
        since = (
            BotQuestion.objects.filter(pk=int(earlier.external_id.rsplit(":", 1)[-1] or 0))
            .values_list("created_at", "pk")
            .first()
        )
    lines = transcript(session, owner=owner, after=since) if session else []
    if not lines and question_id:
        lines = transcript("", owner=owner, question_ids=[question_id])
    body = _render_transcript(lines)[:60_000] or _("The customer asked for a person.")
    external_id = f"{prefix}{question_id or 0}"
    ticket_channel = channel if channel in Channel.values else Channel.CHAT
    ticket = earlier.ticket if earlier is not None else None
    if ticket is not None and ticket.merged_into_id:
        ticket = ticket.merged_into
    if ticket is not None:
        customer_follow_up(ticket, body=body, channel=ticket_channel, external_id=external_id)
        return ticket
    first = next((line["text"] for line in lines if line["who"] == "customer" and line["text"].strip()), "")
    complaint = reason == "complaint"
    created = open_ticket(
        customer=customer,
        subject=(_("Bot hand-off: %(q)s") % {"q": first[:80] or _("conversation")})[:200],
        body=body,
        by=None,
        channel=ticket_channel,
        type=TicketType.COMPLAINT if complaint else TicketType.CONSULTATION,
        priority=Priority.HIGH if complaint else Priority.NORMAL,
        external_id=external_id,
    )
    return created.ticket


def _suggestions(hits: list[engine.Hit]) -> list[Suggestion]:
    if not hits:
        return []
    # the index may lag a just-archived article by a moment: re-check status and audience here (D2)
    rows = Article.objects.filter(pk__in=[h.id for h in hits], status=Status.PUBLISHED, audience="public")
    by_id = {a.pk: a for a in rows}
    out = []
    for hit in hits:
        article = by_id.get(hit.id)
        if article is None:
            continue
        out.append(
            Suggestion(
                id=article.pk,
                external_id=article.external_id or "",
                title=article.title,
                score=hit.score,
                short_answer=article.short_answer or article.title,
                url=reverse("help:article", args=[article.pk]),
            )
        )
    return out


def _reply_text(decision: str, reason: str, articles: list[Suggestion]) -> str:
    if decision == Outcome.ANSWERED:
        return f"{articles[0].short_answer}\n{articles[0].url}"
    if decision == Outcome.SUGGESTED:
        return _("Did you mean:") + "\n" + "\n".join(f"- {a.title}" for a in articles)
    if reason == "complaint":
        return _("We are sorry. A member of our team will take over your case now.")
    if reason == "asked_for_human":
        return _("Connecting you to a member of our team.")
    if reason == "empty_question":
        return _("Please type your question, or ask for a member of our team.")
    return _("I am not sure about this one. A member of our team will help you.")


def _bot_said(q: BotQuestion, titles: dict[int, str]) -> str:
    if q.outcome == Outcome.ANSWERED:
        return _("Answered with the article: %(title)s") % {"title": titles.get(q.article_id or 0, "?")}
    if q.outcome == Outcome.SUGGESTED:
        return _("Did you mean:") + " " + " / ".join(titles.get(i, "?") for i in q.suggested or [])
    return _reply_text(Outcome.HANDOFF, q.reason, [])


def transcript(
    session: str,
    *,
    owner: str = "",
    current: str = "",
    reply: str = "",
    after: tuple[Any, int] | None = None,
    question_ids: list[int] | None = None,
) -> list[dict[str, str]]:
    """The conversation so far, oldest first, for the person who takes over: each question and
    what the bot did with it (the article it answered with, the ones it offered, or why it handed
    off). Only `owner`'s questions. `after` = (created_at, pk) of a question already handed over:
    only later lines."""
    lines: list[dict[str, str]] = []
    rows: list[BotQuestion] = []
    if session or question_ids:
        qs = (
            BotQuestion.objects.filter(session=session)
            if session
            else BotQuestion.objects.filter(pk__in=question_ids)
        ).filter(owner=owner)
        if after is not None:
            qs = qs.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
        rows = list(qs.order_by("created_at", "pk")[:50])
    ids = {q.article_id for q in rows if q.article_id} | {
        int(i) for q in rows for i in (q.suggested or []) if isinstance(i, int)
    }
    titles = dict(Article.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}
    for q in rows:
        lines.append({"who": "customer", "text": q.question[:1000]})
        lines.append({"who": "bot", "text": _bot_said(q, titles)})
    if current and (not lines or lines[-2:-1] != [{"who": "customer", "text": current[:1000]}]):
        lines.append({"who": "customer", "text": current[:1000]})
        lines.append({"who": "bot", "text": reply})
    elif current and reply:
        lines[-1] = {"who": "bot", "text": reply}
    return lines


def record_bot_feedback(
    question_id: int, *, helpful: bool, customer: Any = None, anonymous: bool = False
) -> bool:
    """The customer's verdict on an answer; only the asker may give it. `anonymous=True` (a caller
    with no customer record) reaches only questions asked anonymously."""
    qs = BotQuestion.objects.filter(pk=question_id)
    if customer is not None and getattr(customer, "pk", None):
        qs = qs.filter(customer=customer)
    elif anonymous:
        qs = qs.filter(customer__isnull=True)
    return bool(qs.update(feedback=Feedback.HELPFUL if helpful else Feedback.NOT_HELPFUL))
