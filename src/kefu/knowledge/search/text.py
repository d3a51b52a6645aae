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

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator

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

# Interrogative and polite filler (Simplified: matched after t2s) that asks *how* something is asked,
# not *what*: no article contains "有没有", so as query words they counted as uncovered IDF mass and
# lowered the confidence of covered questions phrased that way (ADR 0004 round 5). Dropped as whole
# jieba words for the coverage only; ranking keeps every token.
FILLER = frozenset(
    [
        "有没有",
        "有木有",
        "有没",
        "能不能",
        "能否",
        "可不可以",
        "可以不可以",
        "可否",
        "是不是",
        "是否",
        "会不会",
        "要不要",
        "请问",
        "想问",
        "问一下",
        "想知道",
        "怎么办",
        "怎么样",
        "怎么",
        "怎样",
        "如何",
        "一下",
        "麻烦",
        "您好",
        "你好",
    ]
)

# "A 不 A" questions; jieba cuts some of them apart (能 / 不能), so they go before segmenting
_A_NOT_A = re.compile("有没有|能不能|可不可以|可以不可以|是不是|会不会|要不要|行不行|好不好|对不对")
_PARTICLES = frozenset("吗呢吧啊呀嘛")  # sentence-final particles, as whole jieba words only

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


def _pieces(text: str) -> Iterator[tuple[list[str], list[str], bool]]:
    """Per run of a normalised text, stop words out: (jieba words, character bigrams, True) for a
    Chinese run, ([stemmed word], [stemmed word], False) for any other."""
    jb = _jieba()
    stem = _stemmer()
    for match in _RUN_RE.finditer(text):
        run = match.group(0)
        if _CJK_RE.match(run):
            words = [w for w in jb.cut_for_search(run) if len(w) > 1 and w not in ZH_STOP]
            yield words, [g for g in _bigrams(run) if g not in ZH_STOP], True
        elif run not in EN_STOP:
            token = stem.stemWord(run) if run.isalpha() else run
            yield [token], [token], False


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
