"""REST endpoints of the knowledge app (mounted at /api/kb/ in kefu/api.py).

The help centre is public, so search, article pages and the bot also answer anonymous callers
(with a per-IP rate limit): they, like customers, see only published public articles (FAULTS D2;
an internal article answers the same 404 as a missing one). Staff create and edit articles; an
edit must carry the `version` it was based on (409 `stale_article` otherwise).

A bot conversation belongs to its caller (bot_sessions.py): `session` is a token kefu issued to
this caller, never an id the caller makes up, and anyone else's token starts a fresh conversation.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kefu.accounts.api import ApiAuth, client_ip
from kefu.core.api_support import ComponentName, Text
from kefu.core.errors import PermissionDenied
from kefu.core.idempotency import idempotent
from kefu.core.ratelimit import hit

from . import bot_sessions, selectors, services
from .errors import QuestionNotFound
from .models import Article, Audience, Kind
from .render import render_markdown
from .states import Status

router = Router(tags=["knowledge"])
QUERY_MAX = 10_000
ANON_RATE = "60/60"


def _anonymous(request: HttpRequest) -> AnonymousUser:
    """No token and no session: an anonymous help-centre visitor, rate limited per IP."""
    hit(f"kb-anon:{client_ip(request)}", getattr(settings, "KEFU_KB_ANON_RATE", ANON_RATE))
    return AnonymousUser()


PUBLIC = [ApiAuth(), _anonymous]  # a bad token still answers 401; no token at all is anonymous


class Input(Schema):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


# Published under names of their own: tickets have a `Status` too (issue 13).
ArticleStatus = Annotated[Status, ComponentName("ArticleStatus")]
ArticleAudience = Annotated[Audience, ComponentName("ArticleAudience")]
ArticleKind = Annotated[Kind, ComponentName("ArticleKind")]

Language = Literal["zh-hans", "zh-hant", "en", "zh", "zh-cn", "zh-tw", "zh-hk", "en-us", "en-gb", ""]
Title = Annotated[Text, Field(min_length=1, max_length=services.TITLE_MAX)]
Body = Annotated[Text, Field(max_length=services.BODY_MAX)]
Short = Annotated[Text, Field(max_length=300)]
ItemList = Annotated[list[Short], Field(max_length=50)]


class ArticleSearchQuery(Schema):
    q: Annotated[str, Field(max_length=QUERY_MAX)] = ""
    language: Language = ""
    limit: Annotated[int, Field(ge=1, le=50)] = 10


class ArticleRef(Schema):
    id: int
    external_id: str | None
    title: str
    short_answer: str
    language: str
    url: str


class SearchHit(ArticleRef):
    score: float
    snippet_html: str


class ArticleOut(ArticleRef):
    body: str
    body_html: str
    questions: list[str]
    tags: list[str]
    category: str
    audience: ArticleAudience
    status: ArticleStatus
    kind: ArticleKind
    version: int
    updated_at: datetime
    last_reviewed_at: datetime | None


SESSION_IN = (
    "The `session` of the previous answer, to continue that conversation (follow-up questions such as "
    "那运费呢？ and the transcript a hand-off files). Leave it empty to start a conversation. A "
    "session is issued by kefu and bound to the caller: the signed-in user or token owner, or for an "
    "anonymous caller the `kefu_visitor` cookie kefu sets (send it back). A session that is unknown, "
    "made up, altered, idle for more than a day or issued to someone else is not an error: the "
    "question starts a fresh conversation with none of the earlier context."
)
SESSION_OUT = (
    "The conversation this answer belongs to, issued by kefu for this caller: send it as `session` "
    "with the next question. It may differ from the `session` sent (a fresh conversation, or the "
    "same one re-signed); always use the latest."
)


class AnswerIn(Input):
    question: Annotated[Text, Field(max_length=QUERY_MAX)]
    language: Language = ""
    channel: Annotated[Text, Field(max_length=20)] = "api"
    context: Annotated[Text, Field(max_length=QUERY_MAX)] = ""
    session: Annotated[Text, Field(max_length=bot_sessions.TOKEN_MAX, description=SESSION_IN)] = ""


class Suggestion(Schema):
    id: int
    external_id: str
    title: str
    score: float
    short_answer: str
    url: str


class AnswerOut(Schema):
    question_id: int | None
    decision: Literal["answer", "suggest", "handoff"]
    reason: str
    confidence: float
    text: str
    articles: list[Suggestion]
    transcript: list[dict[str, str]]
    ticket_number: str = ""  # the ticket a hand-off opened or added to (signed-in customers)
    session: str = Field("", description=SESSION_OUT)


class FeedbackIn(Input):
    helpful: bool


class FeedbackOut(Schema):
    question_id: int
    helpful: bool


class ArticleCreate(Input):
    title: Title
    short_answer: Body = ""
    body: Body = ""
    questions: ItemList = []
    tags: Annotated[list[Short], Field(max_length=20)] = []
    category: Annotated[Text, Field(max_length=300)] = ""
    audience: ArticleAudience = Audience.PUBLIC
    language: Language = "zh-hans"
    kind: ArticleKind = Kind.ARTICLE
    external_id: Annotated[Text, Field(max_length=200)] | None = None
    status: Literal["draft", "in_review", "published"] = "draft"


class ArticleUpdate(Input):
    version: int = Field(description="The version you read; a stale one answers 409 stale_article.")
    title: Title | None = None
    short_answer: Body | None = None
    body: Body | None = None
    questions: ItemList | None = None
    tags: Annotated[list[Short], Field(max_length=20)] | None = None
    category: Annotated[Text, Field(max_length=300)] | None = None
    audience: ArticleAudience | None = None
    language: Language | None = None
    kind: ArticleKind | None = None
    external_id: Annotated[Text, Field(max_length=200)] | None = None
    note: Annotated[Text, Field(max_length=200)] = ""


class TransitionIn(Input):
    to: ArticleStatus


# --------------------------------------------------------------------------- helpers


def _viewer(request: HttpRequest) -> Any:
    user = request.auth
    return user if getattr(user, "is_authenticated", False) else None


def _customer(user: Any) -> Any:
    if user is None or not getattr(user, "is_customer", False):
        return None
    return getattr(user, "customer", None)


def _require_staff(user: Any) -> None:
    if not selectors.can_edit(user):
        raise PermissionDenied(_("Only agents can do this."))


def _ref_url(article: Article) -> str:
    return (
        reverse("help:article", args=[article.pk])
        if article.is_public
        else reverse("kb:article", args=[article.pk])
    )


def _article_out(article: Article) -> ArticleOut:
    return ArticleOut(
        id=article.pk,
        external_id=article.external_id,
        title=article.title,
        short_answer=article.short_answer,
        language=article.language,
        url=_ref_url(article),
        body=article.body,
        body_html=render_markdown(article.body),
        questions=list(article.questions or []),
        tags=list(article.tags or []),
        category=services._category_path(article.category),
        audience=article.audience,
        status=article.status,
        kind=article.kind,
        version=article.version,
        updated_at=article.updated_at,
        last_reviewed_at=article.last_reviewed_at,
    )


# --------------------------------------------------------------------------- endpoints


@router.get("/search", response={200: list[SearchHit]}, auth=PUBLIC, summary="Search articles")
def search(request: HttpRequest, params: Query[ArticleSearchQuery]):
    """Customers and anonymous visitors get published public articles only; staff also internal."""
    hits = selectors.search_articles(_viewer(request), params.q, language=params.language, limit=params.limit)
    return [
        SearchHit(
            id=h.article.pk,
            external_id=h.article.external_id,
            title=h.article.title,
            short_answer=h.article.short_answer,
            language=h.article.language,
            url=_ref_url(h.article),
            score=round(float(h.score), 4),
            snippet_html=str(h.snippet),
        )
        for h in hits
    ]


@router.get("/articles/{int:article_id}", response={200: ArticleOut}, auth=PUBLIC, summary="One article")
def get_article(request: HttpRequest, article_id: int):
    return _article_out(selectors.access_article(_viewer(request), article_id))


@router.post("/answer", response={200: AnswerOut}, auth=PUBLIC, summary="Ask the FAQ bot")
@idempotent
def ask(request: HttpRequest, payload: AnswerIn, response: HttpResponse):
    """answer (confident), suggest (top 3, "did you mean") or handoff (with the transcript of this
    conversation; a signed-in customer's hand-off opens a ticket with it).

    Conversations belong to the caller: send back the `session` of the previous answer to ask a
    follow-up. Anonymous callers are told apart by the `kefu_visitor` cookie set on their first
    answer; without it every question starts a new conversation."""
    user = _viewer(request)
    visitor = bot_sessions.visitor_of(request)
    if user is None and not visitor:
        visitor = bot_sessions.new_visitor()
        bot_sessions.remember_visitor(request, response, visitor)
    result = services.converse(
        payload.question,
        token=payload.session,
        owner=bot_sessions.owner_of(user, visitor=visitor),
        adopt_from=bot_sessions.owner_of(None, visitor=visitor) if user is not None else "",
        language=payload.language or "zh-hans",
        channel=payload.channel or "api",
        customer=_customer(user),
        context=payload.context,
    )
    out = AnswerOut(
        question_id=result.question_id,
        decision=result.decision,
        reason=result.reason,
        confidence=round(result.confidence, 4),
        text=result.text,
        articles=[Suggestion(**a.__dict__) for a in result.articles],
        transcript=result.transcript,
        ticket_number=result.ticket_number,
        session=result.session,
    )
    return 200, out


@router.post(
    "/questions/{int:question_id}/feedback",
    response={200: FeedbackOut},
    auth=PUBLIC,
    summary="Was the bot's answer helpful?",
)
@idempotent
def feedback(request: HttpRequest, question_id: int, payload: FeedbackIn):
    user = _viewer(request)
    if not services.record_bot_feedback(
        question_id, helpful=payload.helpful, customer=_customer(user), anonymous=not selectors.is_staff(user)
    ):
        raise QuestionNotFound(_("Not found."))
    return 200, FeedbackOut(question_id=question_id, helpful=payload.helpful)


@router.post("/articles", response={201: ArticleOut}, summary="Create an article (staff)")
@idempotent
def create_article(request: HttpRequest, payload: ArticleCreate):
    _require_staff(request.auth)
    values = payload.dict()
    category = values.pop("category")
    article = services.create_article(
        by=request.auth, category=services.category_from_path(category) if category else None, **values
    )
    return 201, _article_out(article)


@router.patch("/articles/{int:article_id}", response={200: ArticleOut}, summary="Edit an article (staff)")
def update_article(request: HttpRequest, article_id: int, payload: ArticleUpdate):
    article = selectors.access_article(request.auth, article_id)
    _require_staff(request.auth)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    note = values.pop("note", "")
    if "category" in values:
        values["category"] = services.category_from_path(values["category"] or "")
    values = {k: v for k, v in values.items() if v is not None or k in ("external_id", "category")}
    article = services.update_article(article, by=request.auth, version=version, note=note, **values)
    return _article_out(article)


@router.post(
    "/articles/{int:article_id}/transition",
    response={200: ArticleOut},
    summary="Move an article: draft → review → published → archived (staff)",
)
@idempotent
def transition(request: HttpRequest, article_id: int, payload: TransitionIn):
    article = selectors.access_article(request.auth, article_id)
    _require_staff(request.auth)
    return 200, _article_out(services.transition(article, to=payload.to, by=request.auth))
