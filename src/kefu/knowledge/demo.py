"""Demo knowledge base of 云杉优品: ~40 published articles, synonyms, the search index, and the
bot's questions of the last three weeks (`demo_questions`).

Idempotent: articles are keyed by external_id ("demo-…"); a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from . import services
from .demo_content import ARTICLES, INTERNAL, SYNONYMS
from .models import Article, Audience, Synonym
from .search import store
from .states import Status


def load_config() -> None:
    with transaction.atomic():
        for group in SYNONYMS:
            if not Synonym.objects.filter(terms=group).exists():
                services.set_synonym_group(group)
        for audience, rows in ((Audience.PUBLIC, ARTICLES), (Audience.INTERNAL, INTERNAL)):
            for key, category, title, short, body, questions in rows:
                external_id = f"demo-{key}"
                if Article.objects.filter(external_id=external_id).exists():
                    continue
                language = "en" if key.startswith("en-") else "zh-hans"
                services.create_article(
                    by=None,
                    title=title,
                    short_answer=short,
                    body=body,
                    questions=questions,
                    category=services.category_from_path(category),
                    language=language,
                    audience=audience,
                    external_id=external_id,
                    status=Status.PUBLISHED,
                )
    store.get_index()
    from . import demo_questions

    demo_questions.load()  # after the index: the bot answers from it
