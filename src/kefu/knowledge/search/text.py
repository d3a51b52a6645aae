"""Text normalisation and tokens for the knowledge search (docs/adr/0004-knowledge-search.md).

One function chain for documents and queries alike:
- `normalise`: NFKC, control characters dropped, Traditional → Simplified (OpenCC t2s), lower case,
  synonyms mapped to their group's canonical term, bounded length;
- `tokens`: jieba words (search mode) + character bigrams for Chinese runs, stemmed English words
  (PyStemmer) for Latin runs, numbers and SKUs kept whole.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

MAX_CHARS = 2000  # a query is cut here: the first 2,000 characters say what it is about
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[0-9a-z\u00c0-\u024f]+(?:[-_.][0-9a-z]+)*")
_CJK_RE = re.compile(rf"^[{_CJK}]+$")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_SKU_RE = re.compile(r"\b[A-Z]{1,5}-?\d{2,}[A-Z0-9-]*\b")

EN_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "i'm",
        "im",
        "get",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "我",
        "你",
        "是",
        "在",
        "有",
        "和",
        "就",
        "都",
        "也",
        "还",
        "请问",
        "一下",
        "怎么",
        "如何",
        "什么",
        "可以",
        "能",
        "要",
        "么",
    ]
)

_lock = threading.Lock()
_synonyms: dict[str, str] = {}
_synonym_re: re.Pattern[str] | None = None
_extra_words: set[str] = set()

log = logging.getLogger("kefu.knowledge")


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def t2s(text: str) -> str:
    return _opencc().convert(text)


def set_synonyms(groups: Iterable[Iterable[str]]) -> None:
    """Each group's terms are written as its first term everywhere (index and query)."""
    global _synonym_re
    mapping: dict[str, str] = {}
    for group in groups:
        terms = [clean(t).strip() for t in group if t and clean(t).strip()]
        if len(terms) < 2:
            continue
        for term in terms[1:]:
            if term != terms[0]:
                mapping[term] = terms[0]
    with _lock:
        _synonyms.clear()
        _synonyms.update(mapping)
        if mapping:
            alts = sorted(mapping, key=len, reverse=True)
            _synonym_re = re.compile("|".join(re.escape(a) for a in alts))
        else:
            _synonym_re = None
    add_words(mapping.values())
    add_words(mapping)


def add_words(words: Iterable[str]) -> None:
    """KB terms (tags, product names, SKUs, synonyms) join jieba's dictionary."""
    new = [w for w in (clean(w).strip() for w in words) if len(w) >= 2 and w not in _extra_words]
    if not new:
        return
    jb = _jieba()
    with _lock:
        for word in new:
            _extra_words.add(word)
            if _CJK_RE.match(word):
                jb.add_word(word, freq=2000)


def kb_terms(text: str) -> list[str]:
    """Product codes / SKUs found in a text (e.g. YS-2024, A100)."""
    return _SKU_RE.findall(text or "")


def clean(text: str) -> str:
    """NFKC, no control characters, Simplified, lower case. Never fails."""
    if not isinstance(text, str):
        text = str(text or "")
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 4])
    text = "".join(ch if unicodedata.category(ch) not in _CONTROL else " " for ch in text)
    return t2s(text).lower()


def normalise(text: str, *, limit: int = MAX_CHARS) -> str:
    text = clean(text)[:limit]
    pattern = _synonym_re
    if pattern is not None:
        text = pattern.sub(lambda m: _synonyms.get(m.group(0), m.group(0)), text)
    return text


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str, *, normalised: bool = False, limit: int = MAX_CHARS) -> list[str]:
    """Index/query tokens of a text (normalised first unless `normalised`)."""
    if not normalised:
        text = normalise(text, limit=limit)
    out: list[str] = []
    jb = _jieba()
    stem = _stemmer()
    for match in _RUN_RE.finditer(text):
        run = match.group(0)
        if _CJK_RE.match(run):
            words = [w for w in jb.cut_for_search(run) if len(w) > 1 and w not in ZH_STOP]
            out.extend(words)
            out.extend(g for g in _bigrams(run) if g not in words and g not in ZH_STOP)
        elif run not in EN_STOP:
            out.append(stem.stemWord(run) if run.isalpha() else run)
    return out
