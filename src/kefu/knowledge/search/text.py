"""Text normalisation and tokens for the knowledge search (docs/adr/0004-knowledge-search.md).

One function chain for documents and queries alike:
- `normalise`: NFKC, control characters dropped, Traditional → Simplified (OpenCC t2s), lower case,
  synonyms mapped to their group's canonical term, bounded length;
- `tokens`: jieba words (search mode) + character bigrams for Chinese runs, stemmed English words
  (PyStemmer) for Latin runs, numbers and SKUs kept whole;
- `coverage_tokens`: the tokens of a question without its interrogative filler (有没有, 能不能…),
  for the bot's coverage only;
- `token_fields`: the same tokens as two lists, words and character bigrams, for the body's two
  BM25 sub-fields (ADR 0004 round 5).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

# The generic pipeline (folding, runs, stop words, filler, jieba, stemming) is shared with ticket
# search and lives in core (`X as X`: re-exported under the names this module always had).
from kefu.core.text import A_NOT_A as _A_NOT_A
from kefu.core.text import CJK_RE as _CJK_RE
from kefu.core.text import EN_STOP as EN_STOP
from kefu.core.text import FILLER as FILLER
from kefu.core.text import MAX_CHARS as MAX_CHARS
from kefu.core.text import PARTICLES as _PARTICLES
from kefu.core.text import RUN_RE as _RUN_RE  # noqa: F401
from kefu.core.text import ZH_STOP as ZH_STOP
from kefu.core.text import bigrams as _bigrams  # noqa: F401
from kefu.core.text import clean as _clean
from kefu.core.text import jieba as _jieba
from kefu.core.text import pieces as _pieces
from kefu.core.text import stemmer as _stemmer  # noqa: F401
from kefu.core.text import t2s as t2s

_SKU_RE = re.compile(r"\b[A-Z]{1,5}-?\d{2,}[A-Z0-9-]*\b")

_lock = threading.Lock()
_synonyms: dict[str, str] = {}
_synonym_re: re.Pattern[str] | None = None
_extra_words: set[str] = set()

log = logging.getLogger("kefu.knowledge")


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
    return _clean(text)


def normalise(text: str, *, limit: int = MAX_CHARS) -> str:
    text = clean(text)[:limit]
    pattern = _synonym_re
    if pattern is not None:
        text = pattern.sub(lambda m: _synonyms.get(m.group(0), m.group(0)), text)
    return text


def tokens(text: str, *, normalised: bool = False, limit: int = MAX_CHARS) -> list[str]:
    """Index/query tokens of a text (normalised first unless `normalised`)."""
    if not normalised:
        text = normalise(text, limit=limit)
    out: list[str] = []
    for words, grams, cjk in _pieces(text):
        out.extend(words)
        if cjk:
            out.extend(g for g in grams if g not in words)
    return out


def token_fields(
    text: str, *, normalised: bool = False, limit: int = MAX_CHARS
) -> tuple[list[str], list[str]]:
    """(words, bigrams) of a text: jieba words and every character bigram of the Chinese runs, each
    list with the stemmed English words. Their union is the set of `tokens`. Scored as two BM25
    fields (each with its own length normalisation, divided by the query's best score), word
    matches and bigram matches get a weight each instead of one mixed field's."""
    if not normalised:
        text = normalise(text, limit=limit)
    words: list[str] = []
    grams: list[str] = []
    for run_words, run_grams, _cjk in _pieces(text):
        words.extend(run_words)
        grams.extend(run_grams)
    return words, grams


def coverage_tokens(text: str, *, normalised: bool = False) -> list[str]:
    """`tokens` of a question without its interrogative filler (FILLER, whole jieba words), so
    "有没有以旧换新" covers like "以旧换新". A question that is nothing but filler keeps its tokens."""
    if not normalised:
        text = normalise(text)
    jb = _jieba()
    kept = "".join(" " if w in FILLER or w in _PARTICLES else w for w in jb.cut(_A_NOT_A.sub(" ", text)))
    return tokens(kept, normalised=True) or tokens(text, normalised=True)
