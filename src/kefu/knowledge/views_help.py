"""The public help centre: browse by category, search with highlights, articles with feedback, and
the FAQ bot (智能客服) that answers first and hands off to a person.

The bot's conversation is the visitor's own: the help centre gives each browser a signed visitor
cookie, keeps the conversation's signed token in the visitor's session, and the bot honours the
token only for the signed-in user or the visitor it was issued to (bot_sessions.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.api import client_ip
from kefu.core.filenames import content_disposition
from kefu.core.ratelimit import RateLimited, hit

from . import bot, bot_sessions, selectors, services
from .errors import ArticleNotFound
from .models import KbCategory
from .render import render_markdown

QUERY_MAX = 500
BOT_SESSION = "kb_bot_token"  # the bot's conversation token, so "那运费呢？" follows the last question
BOT_TURNS = "kb_bot_turns"  # what the visitor sees of the conversation, for a page reload
BOT_TURNS_KEPT = 12
BOT_RATE = "30/60"


def _language(request: HttpRequest) -> str:
    customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
    return getattr(customer, "language", "") or getattr(request, "LANGUAGE_CODE", "") or "zh-hans"


def _home(request: HttpRequest, query: str = "", *, bot_error: str = "", status: int = 200) -> HttpResponse:
    hits = selectors.search_articles(None, query, language=_language(request)) if query.strip() else []
    context = {
        "query": query,
        "hits": hits,
        "categories": selectors.category_tree(language=_language(request)),
        "searched": bool(query.strip()),
        "turns": request.session.get(BOT_TURNS, []),
        "bot_error": bot_error,
    }
    return render(request, "knowledge/help/home.html", context, status=status)


def _visitor(request: HttpRequest) -> str:
    return bot_sessions.visitor_of(request) or bot_sessions.new_visitor()


def home(request: HttpRequest) -> HttpResponse:
    response = _home(request, (request.GET.get("q") or "")[:QUERY_MAX])
    bot_sessions.remember_visitor(request, response, _visitor(request))
    return response


def category(request: HttpRequest, pk: int) -> HttpResponse:
    cat = get_object_or_404(KbCategory, pk=pk)
    articles = selectors.public_in_category(cat, language=_language(request))
    return render(request, "knowledge/help/category.html", {"category": cat, "articles": articles})


def article(request: HttpRequest, pk: int) -> HttpResponse:
    # the help centre is the public face: even staff see only what customers see here (D2)
    try:
        item = selectors.access_article(None, pk)
    except ArticleNotFound:
        raise Http404 from None
    return render(
        request,
        "knowledge/help/article.html",
        {"article": item, "body_html": render_markdown(item.body), "thanks": request.GET.get("thanks")},
    )


@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.access_article(None, pk)
    except ArticleNotFound:
        raise Http404 from None
    helpful = request.POST.get("helpful") == "1"
    by = request.user if request.user.is_authenticated else None
    services.record_feedback(item, helpful=helpful, source="help", by=by)
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/help/_thanks.html", {})
    return redirect(reverse("help:article", args=[item.pk]) + "?thanks=1")


def file(request: HttpRequest, pk: int, name: str = "") -> HttpResponse:
    """An article's file for whoever may see the article (internal articles: staff only).

    Raster images (checked by their magic bytes on upload) are shown inline so the Markdown body
    can embed them; everything else is a download. Always nosniff and a sandbox CSP."""
    try:
        item = selectors.access_file(request.user, pk)
    except ArticleNotFound:
        raise Http404 from None
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not item.is_image,
        filename=item.filename,
        content_type=item.content_type if item.is_image else "application/octet-stream",
    )
    # the exact name (CJK included) as RFC 5987 filename*, with an ASCII filename for old clients
    response["Content-Disposition"] = content_disposition(item.filename, inline=item.is_image)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store" if not item.article.is_public else "public, max-age=300"
    return response


# --------------------------------------------------------------------------- the FAQ bot


def _asker(request: HttpRequest) -> Any:
    user = request.user
    return getattr(user, "customer", None) if user.is_authenticated and user.is_customer else None


def _turn(question: str, result: Any) -> dict[str, Any]:
    """A bot answer as the page shows it (stored in the session, so plain values only)."""
    return {
        "question": question,
        "decision": result.decision,
        "reason": result.reason,
        "text": result.text.split("\n", 1)[0] if result.decision == "answer" else result.text,
        "articles": [
            {"title": a.title, "short_answer": a.short_answer, "url": a.url} for a in result.articles
        ],
        "question_id": result.question_id,
        "ticket_number": result.ticket_number,
        "ticket_id": result.ticket_id,
    }


def _contact_prefill(turns: list[dict[str, Any]]) -> str:
    """The contact form's subject and message from what the visitor asked, so nothing is typed twice:
    the subject is their question as a signed-in customer's hand-off ticket would have it (the last
    substantive one, not the 转人工 that ended the chat), the message every question they asked."""
    asked = [
        (t["question"], t.get("reason") or t.get("decision", ""), bot.follows_on(t["question"]))
        for t in turns
        if not t.get("human")
    ]
    words = [w for w in (bot.own_words(q, reason=reason) for q, reason, _follows in asked) if w]
    if not words:
        return ""
    return urlencode({"subject": bot.subject_of(asked)[:80], "message": "\n".join(words)[:1500]})


@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """One question to the bot. Logged-in customers who are handed off get a ticket with the
    transcript; visitors are pointed to the sign-in page or the contact form."""
    question = (request.POST.get("question") or "")[:QUERY_MAX]
    shown = question
    if request.POST.get("human") == "1":  # the "talk to a person" button, in whatever language
        question, shown = "转人工", _("Talk to a person")
    try:
        hit(f"help-bot:{client_ip(request)}", getattr(settings, "KEFU_HELP_BOT_RATE", BOT_RATE))
    except RateLimited as err:
        if request.headers.get("HX-Request"):
            return HttpResponse(
                format_html('<div class="alert alert-warning" role="alert">{}</div>', err.message), status=429
            )
        return _home(request, bot_error=err.message, status=429)
    visitor = _visitor(request)
    signed_in = request.user.is_authenticated
    result = services.converse(
        question,
        token=request.session.get(BOT_SESSION, ""),
        owner=bot_sessions.owner_of(request.user, visitor=visitor),
        # signed in since the first questions: this browser's visitor conversation becomes theirs
        adopt_from=bot_sessions.owner_of(None, visitor=visitor) if signed_in else "",
        language=_language(request),
        channel="web",
        customer=_asker(request),
    )
    request.session[BOT_SESSION] = result.session
    turn = _turn(shown, result) | {"human": shown != question}
    turns = [*request.session.get(BOT_TURNS, []), turn][-BOT_TURNS_KEPT:]
    if result.decision == "handoff" and not result.ticket_number:
        turn["contact_query"] = _contact_prefill(turns)
    request.session[BOT_TURNS] = turns
    if request.headers.get("HX-Request"):
        response = render(request, "knowledge/help/_bot_turn.html", {"turn": turn})
    else:
        response = redirect(reverse("help:home") + "#bot")
    bot_sessions.remember_visitor(request, response, visitor)
    return response


@require_POST
def bot_feedback(request: HttpRequest, question_id: int) -> HttpResponse:
    """Helpful / not helpful on one of this visitor's own answers; "not helpful" offers a person."""
    if question_id not in {t.get("question_id") for t in request.session.get(BOT_TURNS, [])}:
        raise Http404
    helpful = request.POST.get("helpful") == "1"
    customer = _asker(request)
    if not services.record_bot_feedback(
        question_id, helpful=helpful, customer=customer, anonymous=not selectors.is_staff(request.user)
    ):
        raise Http404
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/help/_bot_feedback.html", {"helpful": helpful})
    return redirect(reverse("help:home") + "#bot")
