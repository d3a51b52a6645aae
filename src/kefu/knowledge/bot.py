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
from django.utils import translation
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
                language=language,
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


def render_transcript(lines: list[dict[str, str]]) -> str:
    """The conversation as a hand-off files it on the ticket: a heading that marks it as the bot
    conversation, then one line per turn, ``<who>: <text>``, the customer speaking first.

    Triage reads only the customer's lines of it (routing's `triage.customer_lines`: the lines whose
    label is the first turn's label), so each turn is kept on one line, the labels hold no ": " and
    the heading has no ": " either. tests/routing/test_handoff_triage.py pins both sides."""
    if not lines:
        return ""
    who = {"customer": _("Customer"), "bot": _("Bot")}
    turns = [f"{who.get(line['who'], line['who'])}: {' '.join(line['text'].split())}" for line in lines]
    return "\n".join([_("Conversation with the help-centre bot:"), *turns])


# what a customer types to reach a person, beyond the cues (the help centre's button sends 转人工)
_CUE_WORDS = sorted(
    {*HUMAN_CUES, *COMPLAINT_CUES, "人工坐席", "人工服务", "客服", "转接", "接通"}, key=len, reverse=True
)
_CUE_FILLER = re.compile(
    r"请问|请|麻烦|帮我|帮忙|给我|我要|我想|我需要|能不能|可以|马上|立刻|赶紧|快点|快|找|转|接|要|"
    r"你好|您好|在吗|在不在|谢谢|好吗|行吗|可以吗|吧|啊|呀|呢|了|的|一下|"
    r"\b(i|want|need|would|like|to|a|an|the|please|can|could|you|me|let|talk|speak|with|get|connect|"
    r"transfer|hi|hello|thanks|thank|now|someone|some|one|person|real|customer|service|support|ok)\b"
)
_HUMAN_RE = "|".join(map(re.escape, sorted({*HUMAN_CUES, "人工坐席", "转接人工"}, key=len, reverse=True)))
_LEAD_IN = r"(?:请问|请|麻烦|帮我|帮忙|给我|我要|我想|我需要|能不能|马上|立刻|赶紧|快点|快|找|转接|转|接|要)*"
_TAIL = r"(?:吧|啊|呀|好吗|行吗|可以吗|谢谢)*"
_EN_HUMAN = (
    r"(?:(?:i want|i need|i'd like|can i|could i|let me|please)\s+)?(?:to\s+)?(?:(?:talk|speak)\s+(?:to|with)\s+)?"
    r"(?:a |an |the |some )?(?:human|agent|real person|representative|operator|someone)(?:\s+please)?"
)
_SEP = r"[\s,，、;；.。!！~～…]*"
_CUE_AT_END = re.compile(
    rf"(?:{_SEP}(?:{_LEAD_IN}(?:{_HUMAN_RE}){_TAIL}|{_EN_HUMAN}){_SEP})+$", re.IGNORECASE
)
_CUE_AT_START = re.compile(
    rf"^(?:{_SEP}(?:{_LEAD_IN}(?:{_HUMAN_RE}){_TAIL}|{_EN_HUMAN}){_SEP})+", re.IGNORECASE
)
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z\u00c0-\u024f]{2,}")
CUE_REASONS = ("asked_for_human", "complaint", "empty_question")
SUBJECT_MAX = 120


def own_words(question: str, *, reason: str = "") -> str:
    """What the customer asked in `question`, without the hand-off cue around it ("怎么退货，帮我转
    人工" → 怎么退货), or "" when there is nothing else: "转人工", "找人工客服", "我要投诉",
    "human please". Only a line the bot handed off on a cue (`reason` in CUE_REASONS, or no reason
    known) is looked at for a cue; any other question (answered, suggested, not found) is the
    customer's own words as it stands."""
    line = " ".join(str(question or "")[:1000].split())
    if not line:
        return ""
    if reason and reason not in CUE_REASONS:
        return line
    rest = text.clean(line)
    for cue in _CUE_WORDS:
        rest = rest.replace(cue, " ")
    rest = _CUE_FILLER.sub(" ", HUMAN_CUES_EN.sub(" ", COMPLAINT_CUES_EN.sub(" ", rest)))
    if len(_CJK_CHAR.findall(rest)) < 2 and not _LATIN_WORD.search(rest):
        return ""
    trimmed = _CUE_AT_START.sub("", _CUE_AT_END.sub("", line))
    return trimmed.strip(" ,，、;；") or line


def subject_of(questions: list[tuple[str, str, bool]]) -> str:
    """The ticket subject of a hand-off: the customer's last substantive question, oldest first in
    `questions` as (question, the bot's reason, whether the bot read it as a follow-up of the one
    before). Cue lines ("转人工") are not questions; a follow-up ("能重开吗" after "发票抬头写错了")
    means little alone, so its subject is the question it follows. '' when nothing was asked."""
    asked = [(own_words(q, reason=reason), follows) for q, reason, follows in questions]
    asked = [(words, follows) for words, follows in asked if words]
    if not asked:
        return ""
    last = len(asked) - 1
    anchor = next((i for i in range(last, -1, -1) if not asked[i][1]), last)
    return asked[anchor][0][:SUBJECT_MAX]


def follows_on(question: str) -> bool:
    """Does `question` read as a follow-up of the one before (那运费呢？, 还有…)?"""
    return bool(FOLLOW_UP.search(text.normalise(question or "").strip()))


def _follows(q: BotQuestion) -> bool:
    # the bot's own verdict first: it answered with the previous question as context
    return bool(q.context_question) or follows_on(q.question)


def _written_in(language: Any) -> str | None:
    """The supported language to write a hand-off in: the conversation's (zh-tw → zh-hans, en-gb →
    en), or the active one when kefu does not speak it."""
    try:
        return translation.get_supported_language_variant(str(language or ""))
    except LookupError:
        return translation.get_language()


def hand_off(
    customer: Any,
    *,
    session: str,
    owner: str = "",
    question_id: int | None,
    reason: str,
    channel: str,
    language: str = "",
) -> Any:
    """Put the conversation on a ticket for a person: the first hand-off of a bot session opens a
    ticket with the full transcript; a later one in the same session adds the lines since then to
    that ticket (reopening it if it was solved). Only the lines of `owner`'s own conversation are
    filed. Returns the ticket.

    The ticket's subject is the customer's own question (`subject_of`), and what kefu adds — the
    heading of the transcript, who said what, the subject of a hand-off with no question — is
    written in the conversation's `language`, as the customer reads it in the portal."""
    with translation.override(_written_in(language)):
        return _hand_off(
            customer, session=session, owner=owner, question_id=question_id, reason=reason, channel=channel
        )


def _hand_off(
    customer: Any, *, session: str, owner: str, question_id: int | None, reason: str, channel: str
) -> Any:
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
    rows = _conversation(session, owner=owner, after=since) if session else []
    if not rows and question_id:
        rows = _conversation("", owner=owner, question_ids=[question_id])
    lines = _lines(rows)
    body = render_transcript(lines)[:60_000] or _("The customer asked for a person.")
    external_id = f"{prefix}{question_id or 0}"
    ticket_channel = channel if channel in Channel.values else Channel.CHAT
    ticket = earlier.ticket if earlier is not None else None
    if ticket is not None and ticket.merged_into_id:
        ticket = ticket.merged_into
    if ticket is not None:
        customer_follow_up(ticket, body=body, channel=ticket_channel, external_id=external_id)
        return ticket
    asked = subject_of([(q.question, q.reason or q.outcome, _follows(q)) for q in rows])
    complaint = reason == "complaint"
    created = open_ticket(
        customer=customer,
        subject=asked or _("Chat hand-off"),
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
    lines = _lines(_conversation(session, owner=owner, after=after, question_ids=question_ids))
    if current and (not lines or lines[-2:-1] != [{"who": "customer", "text": current[:1000]}]):
        lines.append({"who": "customer", "text": current[:1000]})
        lines.append({"who": "bot", "text": reply})
    elif current and reply:
        lines[-1] = {"who": "bot", "text": reply}
    return lines


def _conversation(
    session: str,
    *,
    owner: str,
    after: tuple[Any, int] | None = None,
    question_ids: list[int] | None = None,
) -> list[BotQuestion]:
    """`owner`'s questions of `session` (or the given ones), oldest first — the latest 50 of a
    long conversation, which end with the one that asked for a person; `after` as in transcript."""
    if not (session or question_ids):
        return []
    qs = (
        BotQuestion.objects.filter(session=session)
        if session
        else BotQuestion.objects.filter(pk__in=question_ids)
    ).filter(owner=owner)
    if after is not None:
        qs = qs.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
    return list(reversed(qs.order_by("-created_at", "-pk")[:50]))


def _lines(rows: list[BotQuestion]) -> list[dict[str, str]]:
    ids = {q.article_id for q in rows if q.article_id} | {
        int(i) for q in rows for i in (q.suggested or []) if isinstance(i, int)
    }
    titles = dict(Article.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}
    lines: list[dict[str, str]] = []
    for q in rows:
        lines.append({"who": "customer", "text": q.question[:1000]})
        lines.append({"who": "bot", "text": _bot_said(q, titles)})
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
