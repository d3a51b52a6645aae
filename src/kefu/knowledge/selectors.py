"""Reads of the knowledge base: who may see which article, and search for each audience."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .errors import ArticleNotFound
from .models import Article, ArticleFile, Audience, KbCategory
from .render import plain_text
from .search import engine, store, text
from .states import Status


def is_staff(user: Any) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and getattr(user, "is_agent", False))


def can_edit(user: Any) -> bool:
    return is_staff(user)


def visible_articles(user: Any) -> QuerySet[Article]:
    """Staff see every article; everyone else only published public ones (fail closed)."""
    if is_staff(user):
        return Article.objects.all()
    return Article.objects.filter(status=Status.PUBLISHED, audience=Audience.PUBLIC)


def access_article(user: Any, article_id: int | str) -> Article:
    try:
        return visible_articles(user).select_related("category", "author", "reviewer").get(pk=int(article_id))
    except (Article.DoesNotExist, ValueError, TypeError):
        raise ArticleNotFound("Not found") from None


def access_file(user: Any, file_id: int) -> ArticleFile:
    """A file of an article the user may see (internal articles: staff only); else the same 404."""
    try:
        return ArticleFile.objects.select_related("article").get(
            pk=int(file_id), article__in=visible_articles(user)
        )
    except (ArticleFile.DoesNotExist, ValueError, TypeError):
        raise ArticleNotFound("Not found") from None


@dataclass
class ArticleHit:
    article: Article
    score: float
    snippet: SafeString


def _highlight(value: str, terms: list[str], *, width: int = 180) -> SafeString:
    """Escaped text with the query's words marked; Traditional/Simplified matched via OpenCC."""
    value = value or ""
    simplified = text.t2s(value).lower()
    marks = sorted(
        {t for t in terms if t and len(t) >= 2 or (t and ord(t[0]) > 0x3000)}, key=len, reverse=True
    )
    spans: list[tuple[int, int]] = []
    for term in marks[:20]:
        for m in re.finditer(re.escape(term), simplified):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    spans.sort()
    start = max(0, spans[0][0] - 40) if spans else 0
    end = min(len(value), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out.append(escape(value[pos:s]))
        out.append(f"<mark>{escape(value[s:e])}</mark>")
        pos = e
    out.append(escape(value[pos:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(value) else ""
    return mark_safe(prefix + "".join(out) + suffix)


def search_articles(user: Any, query: str, *, language: str = "", limit: int = 10) -> list[ArticleHit]:
    """The one engine, for the help centre (public only) and staff (internal too)."""
    staff = is_staff(user)
    index = store.get_index()
    families = engine.pick_families(index, query, language)
    result = index.search(query, public_only=not staff, families=families, limit=limit)
    ids = [h.id for h in result.hits]
    articles = {a.pk: a for a in visible_articles(user).filter(pk__in=ids, status=Status.PUBLISHED)}
    words = [w for w in re.split(r"\s+", text.normalise(query)) if w] + result.terms
    hits = []
    for h in result.hits:
        article = articles.get(h.id)
        if article is None:
            continue
        snippet_source = f"{article.title} — {article.short_answer or plain_text(article.body)}"
        hits.append(ArticleHit(article=article, score=h.score, snippet=_highlight(snippet_source, words)))
    return hits


def staff_list(user: Any, *, query: str = "", status: str = "") -> QuerySet[Article]:
    qs = visible_articles(user).select_related("category", "author")
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(body__icontains=query) | Q(external_id=query))
    return qs.order_by("-updated_at")


def _in_language(qs: QuerySet[Article], language: str) -> QuerySet[Article]:
    """The articles in the reader's language family (zh-Hans and zh-Hant are one, OpenCC joins
    them in search); all of them when there are none in it."""
    language = (language or "").lower()
    family = "zh" if language.startswith("zh") else language[:2]
    if not family:
        return qs
    mine = qs.filter(language__istartswith=family)
    return mine if mine.exists() else qs


def category_tree(*, language: str = "") -> list[KbCategory]:
    """The help centre's topics: only categories holding a published public article (in the
    reader's language), so internal-only sections (内部规范) are not even named to customers."""
    used = set(_in_language(visible_articles(None), language).values_list("category_id", flat=True))
    children = KbCategory.objects.filter(pk__in=used)
    tops = KbCategory.objects.filter(parent=None).prefetch_related(Prefetch("children", queryset=children))
    return [c for c in tops if c.pk in used or c.children.all()]


def public_in_category(category: KbCategory, *, language: str = "") -> QuerySet[Article]:
    ids = [category.pk, *category.children.values_list("pk", flat=True)]
    qs = _in_language(visible_articles(None).filter(category_id__in=ids), language)
    return qs.order_by("title")
