"""The public help centre: browse by category, search with highlights, articles with feedback."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, services
from .errors import ArticleNotFound
from .models import KbCategory
from .render import render_markdown

QUERY_MAX = 500


def _language(request: HttpRequest) -> str:
    customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
    return getattr(customer, "language", "") or getattr(request, "LANGUAGE_CODE", "") or "zh-hans"


def home(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "")[:QUERY_MAX]
    hits = selectors.search_articles(None, query, language=_language(request)) if query.strip() else []
    return render(
        request,
        "knowledge/help/home.html",
        {
            "query": query,
            "hits": hits,
            "categories": selectors.category_tree(),
            "searched": bool(query.strip()),
        },
    )


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
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store" if not item.article.is_public else "public, max-age=300"
    return response
