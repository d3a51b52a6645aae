"""Demo knowledge base of 云杉优品: ~40 published articles, synonyms, the search index, and the
bot's questions of the last three weeks (`demo_questions`).

Idempotent: articles are keyed by external_id ("demo-…"); a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from . import services
from .demo_content import ARTICLES, CATEGORY_NAMES_EN, INTERNAL, SYNONYMS
from .models import Article, Audience, KbCategory, Synonym
from .search import store
from .states import Status


def _category(path: str) -> KbCategory:
    """The demo's category for "售后服务/退换货", each level named in English too (After-sales › Returns)."""
    category = services.category_from_path(path)
    assert category is not None
    node: KbCategory | None = category
    while node is not None:
        if not node.name_en and node.name in CATEGORY_NAMES_EN:
            KbCategory.objects.filter(pk=node.pk).update(name_en=CATEGORY_NAMES_EN[node.name])
        node = node.parent
    category.refresh_from_db()
    return category


def load_config() -> None:
    with transaction.atomic():
        for group in SYNONYMS:
            if not Synonym.objects.filter(terms=group).exists():
                services.set_synonym_group(group)
        for audience, rows in ((Audience.PUBLIC, ARTICLES), (Audience.INTERNAL, INTERNAL)):
            for key, path, title, short, body, questions in rows:
                external_id = f"demo-{key}"
                category = _category(path)
                existing = Article.objects.filter(external_id=external_id).first()
                if existing is not None:
                    if existing.category_id != category.pk and existing.language == "en":
                        # Demos before issue 14 filed English articles under English-only topics
                        # (Returns, Shipping, Invoices) beside the Chinese ones: one tree now.
                        services.update_article(existing, by=None, category=category)
                    continue
                language = "en" if key.startswith("en-") else "zh-hans"
                services.create_article(
                    by=None,
                    title=title,
                    short_answer=short,
                    body=body,
                    questions=questions,
                    category=category,
                    language=language,
                    audience=audience,
                    external_id=external_id,
                    status=Status.PUBLISHED,
                )
        # The English-only topics of older demos, empty once their articles moved.
        KbCategory.objects.filter(
            parent=None, name__in=["Returns", "Shipping", "Invoices"], articles=None, children=None
        ).delete()
    store.get_index()
    from . import demo_questions

    demo_questions.load()  # after the index: the bot answers from it
