"""Search text for Chinese (no word boundaries) and English alike: one pipeline for every search.

The generic part, shared by ticket search (docs/adr/0002) and the knowledge search (docs/adr/0004,
which adds its synonyms and BM25 fields on top in `kefu.knowledge.search.text`):

- `clean`: NFKC, control characters out, Traditional → Simplified (OpenCC t2s), lower case;
- `pieces`: per run of a cleaned text, jieba words (search mode) and character bigrams for Chinese,
  a stemmed word (PyStemmer) for English, numbers and SKUs whole; stop words out;
- the word lists: English and Chinese stop words, interrogative and polite filler (`FILLER`), and
  the function words and characters an everyday question wraps its content in (`FUNCTION_WORDS`,
  `FUNCTION_CHARS`): 没/了/的/怎么/还 ask *how*, not *what*.

Ticket search (ADR 0002, round "everyday Chinese"):
- `index_text`: the tokens of a document: every character bigram of a Chinese run and every content
  character (not a function character) on its own, stemmed English words;
- `query_terms`: the content of a query as groups of index tokens (a word's bigrams), those a ticket
  should contain, plus optional tokens that only rank (single characters beside longer words);
- `highlight_terms`: the strings to mark in a hit, in Simplified and Traditional script.

A document never goes through jieba (its dictionary grows with knowledge-base terms at run time,
so a ticket indexed before and after would differ); only a query does, to find its words.
`tokens` is the plain bigram tokenizer of ADR 0002's first version (benchmarks use it as a baseline).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

MAX_CHARS = 2000  # a query is cut here: the first 2,000 characters say what it is about
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(rf"[{_CJK}]+|[0-9a-z\u00c0-\u024f]+(?:[-_.][0-9a-z]+)*")
CJK_RE = re.compile(rf"^[{_CJK}]+$")
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[0-9a-zA-Z\u00c0-\u024f]+(?:[-_.][0-9a-zA-Z]+)*")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}

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

# Interrogative and polite filler (Simplified) that asks *how* something is asked, not *what*
# (ADR 0004 round 5): no article or ticket contains "有没有" as its subject matter.
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
A_NOT_A = re.compile("有没有|能不能|可不可以|可以不可以|是不是|会不会|要不要|行不行|好不好|对不对")
PARTICLES = frozenset("吗呢吧啊呀嘛")  # sentence-final particles, as whole jieba words only

# Everyday function words (whole jieba words of a query) that carry no subject matter: negation,
# aspect, time and degree adverbs, pronouns, question words. A query's content is what is left.
FUNCTION_WORDS = (
    FILLER
    | ZH_STOP
    | frozenset(
        [
            "没有",
            "没",
            "还没",
            "还是",
            "已经",
            "一直",
            "到底",
            "究竟",
            "为什么",
            "为啥",
            "干嘛",
            "咋",
            "咋办",
            "咋回事",
            "怎么回事",
            "啥",
            "多少",
            "多久",
            "几天",
            "什么时候",
            "时候",
            "哪里",
            "哪儿",
            "哪个",
            "哪",
            "谁",
            "我要",
            "我想",
            "想要",
            "我们",
            "你们",
            "他们",
            "她们",
            "这个",
            "那个",
            "一个",
            "这些",
            "那些",
            "不了",
            "不能",
            "不行",
            "不会",
            "不是",
            "可是",
            "但是",
            "因为",
            "所以",
            "现在",
            "帮忙",
            "帮我",
            "谢谢",
            "感谢",
            "还有",
            "而且",
            "然后",
            "就是",
            "都是",
            "为了",
            "能够",
            "应该",
            "需要",
            "一些",
            "有点",
            "怎么弄",
            "怎么搞",
            "好的",
            "好吧",
            "呢",
            "嘛",
            "呀",
            "哦",
            "啦",
            "问下",
            "想问下",
            "我想问下",
            "回事",
            "今天",
            "昨天",
            "明天",
            "刚才",
            "刚刚",
            "最近",
            "自己",
            "东西",
            "啥时候",
            "啥时",
            "一样",
            "这样",
            "那样",
        ]
    )
)
# Single characters that are function words: never a query's content, never indexed on their own
# (their bigrams are). A multi-character word loses them at its edges (想换个 → 换) and is split at
# a negation inside (收不到 → 收 | 到).
FUNCTION_CHARS = frozenset(
    "的了吗呢吧啊呀嘛么哦哈啦没不还也都就很太又再才是在我你您他她它们这那哪谁啥咋想要会能可把被让给跟和与及或而但却已请个些着过得地之其帮一有为怎什多从对向等将并该此问下"
)
_LEAD_STRIP = frozenset("没不还也都就很太又再才想请")
_TRAIL_STRIP = frozenset("了的吗呢吧啊呀嘛么哦啦个")
_SPLIT = re.compile("[没不]")

MAX_GROUPS = 8  # content words of a query that count; a long query's first eight
MAX_OPTIONAL = 8


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _opencc_s2t():
    import opencc

    return opencc.OpenCC("s2t")


@functools.lru_cache(maxsize=1)
def stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=1)
def jieba():
    import jieba as jb

    jb.setLogLevel(logging.WARNING)
    jb.initialize()
    return jb


def t2s(text: str) -> str:
    return _opencc().convert(text)


def s2t(text: str) -> str:
    return _opencc_s2t().convert(text)


def clean(text: str, *, limit: int = MAX_CHARS * 4) -> str:
    """NFKC, no control characters, Simplified, lower case; the first `limit` characters. Never fails."""
    if not isinstance(text, str):
        text = str(text or "")
    text = unicodedata.normalize("NFKC", text[:limit])
    text = "".join(ch if unicodedata.category(ch) not in _CONTROL else " " for ch in text)
    return t2s(text).lower()


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def pieces(text: str) -> Iterator[tuple[list[str], list[str], bool]]:
    """Per run of a cleaned text, stop words out: (jieba words, character bigrams, True) for a
    Chinese run, ([stemmed word], [stemmed word], False) for any other."""
    jb = jieba()
    stem = stemmer()
    for match in RUN_RE.finditer(text):
        run = match.group(0)
        if CJK_RE.match(run):
            words = [w for w in jb.cut_for_search(run) if len(w) > 1 and w not in ZH_STOP]
            yield words, [g for g in bigrams(run) if g not in ZH_STOP], True
        elif run not in EN_STOP:
            token = stem.stemWord(run) if run.isalpha() else run
            yield [token], [token], False


def _english(run: str) -> str | None:
    if run in EN_STOP:
        return None
    return stemmer().stemWord(run) if run.isalpha() else run


# --------------------------------------------------------------------------- ticket search


def doc_tokens(text: str) -> Iterator[str]:
    """Index tokens of a cleaned text: per Chinese run its bigrams and its content characters, per
    English run its stemmed word (stop words out)."""
    for match in RUN_RE.finditer(text):
        run = match.group(0)
        if CJK_RE.match(run):
            if len(run) > 1:
                yield from bigrams(run)
            yield from (ch for ch in run if ch not in FUNCTION_CHARS)
        else:
            token = _english(run)
            if token:
                yield token


def index_text(*parts: str, limit: int = 20000) -> str:
    """Space-joined tokens for the full-text index (bounded so one huge message cannot bloat it)."""
    return " ".join(doc_tokens(clean(" ".join(p for p in parts if p), limit=limit)))


@dataclass(frozen=True)
class QueryTerms:
    """What a ticket search asks for, in index tokens.

    `groups`: the content words. A group is a word's ways to be present in a ticket, each a tuple of
    tokens that must all be there: a word's bigrams, and for characters jieba left single (到 账,
    鞋 坏) also the characters on their own. `optional`: tokens that only add to the rank.
    `words`: the content words as text (Simplified), for highlights. `loose`: the second try
    when the groups find nothing: words jieba cut into single characters may also be present as those
    characters anywhere (鞋 坏 for 鞋坏), and the optional characters count as groups. Empty when a
    second try would only loosen one word (a name such as 常伟 that no ticket holds finds nothing).
    """

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    optional: tuple[str, ...]
    words: tuple[str, ...]
    loose: tuple[tuple[tuple[str, ...], ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)

    def tokens(self) -> list[str]:
        """Every token of the groups, once, in order."""
        return list(dict.fromkeys(t for group in self.groups for alt in group for t in alt))


def _content(word: str) -> list[str]:
    """A jieba word of a query without its function characters: edges stripped, split at 没/不."""
    if word in FUNCTION_WORDS:
        return []
    out = []
    for part in _SPLIT.split(word):
        while part and part[0] in _LEAD_STRIP:
            part = part[1:]
        while part and part[-1] in _TRAIL_STRIP:
            part = part[:-1]
        if part and not (len(part) == 1 and part in FUNCTION_CHARS):
            out.append(part)
    return out


def _cjk_words(run: str) -> list[tuple[str, bool]]:
    """Content words of a Chinese run of a query, in order, as (word, joined). Single characters
    that stood next to each other join again (退款没到账 → 退款 | 到 账 → 退款, 到账), since jieba
    cuts everyday phrases apart (到/账) more often than it joins them; `joined` says so."""
    jb = jieba()
    run = A_NOT_A.sub(" ", run)
    spans: list[tuple[int, str]] = []  # (start, content piece)
    pos = 0
    for word in jb.cut(run, HMM=False):
        start = pos
        pos += len(word)
        offset = 0
        for piece in _content(word.strip()):
            at = word.index(piece, offset)
            offset = at + len(piece)
            spans.append((start + at, piece))
    words: list[tuple[str, bool]] = []
    end = -1
    for start, piece in spans:
        if words and start == end and len(piece) == 1 and (len(words[-1][0]) == 1 or words[-1][1]):
            words[-1] = (words[-1][0] + piece, True)
        else:
            words.append((piece, False))
        end = start + len(piece)
    return words


def query_terms(query: str) -> QueryTerms:
    """The content of a search query as index-token groups (see QueryTerms).

    Content words of two or more characters are what a ticket should contain; single characters are
    optional beside them (快递怎么还没到: 快递 counts, 到 ranks), and count when nothing longer is
    left (货 坏). A query of nothing but function words is taken literally (its bigrams), so a search
    for 没有 still finds the word.
    """
    text = clean(query, limit=MAX_CHARS)
    found: dict[str, bool] = {}  # word (Simplified, or an English token) -> joined from single characters
    cjk: dict[str, bool] = {}
    for match in RUN_RE.finditer(text):
        run = match.group(0)
        if CJK_RE.match(run):
            for word, joined in _cjk_words(run):
                found.setdefault(word, joined)
                cjk[word] = True
        else:
            token = _english(run)
            if token:
                found.setdefault(token, False)
    long = [w for w in found if len(w) > 1 or w not in cjk]
    single = [w for w in found if len(w) == 1 and w in cjk]
    groups: list[tuple[tuple[str, ...], ...]] = []
    loose: list[tuple[tuple[str, ...], ...]] = []
    for word in long if long else single:
        if word not in cjk:
            groups.append(((word,),))
        else:
            groups.append((tuple(bigrams(word)),))
        if word in cjk and found[word]:
            loose.append((tuple(bigrams(word)), tuple(dict.fromkeys(word))))
        else:
            loose.append(groups[-1])
    words = [w for w in (long if long else single) if w in cjk]
    optional = single if long else []
    # the query's own bigrams rank too: a ticket saying it the same way (订单取消, not 订单 … 取消)
    # comes first
    own = {t for group in groups for alt in group for t in alt}
    runs = [m.group(0) for m in RUN_RE.finditer(text) if CJK_RE.match(m.group(0))]
    phrase = [t for t in dict.fromkeys(t for r in runs for t in bigrams(r) if len(r) > 1) if t not in own]
    phrase.sort(key=lambda t: bool(FUNCTION_CHARS.intersection(t)))  # content bigrams first
    if long and single:
        loose.extend(((c,),) for c in single)
    elif not (len(groups) > 1 and loose != groups):
        loose = []
    if not groups:
        # only function words: take the query literally (its bigrams, one group each)
        groups = [((t,),) for t in dict.fromkeys(t for r in runs for t in bigrams(r))]
        words, phrase, loose = runs, [], []
    return QueryTerms(
        tuple(list(dict.fromkeys(groups))[:MAX_GROUPS]),
        tuple([*optional, *phrase][:MAX_OPTIONAL]),
        tuple(dict.fromkeys(words))[:16],
        tuple(list(dict.fromkeys(loose))[:MAX_GROUPS]),
    )


def highlight_terms(query: str) -> list[str]:
    """The visible strings to mark in a result: the query's content words (Simplified and
    Traditional) and its English words as typed."""
    out: list[str] = []
    for word in query_terms(query).words:
        out.extend([word, s2t(word)])
    for m in _TOKEN_RE.finditer(query or ""):
        part = m.group(0)
        if not CJK_RE.match(part) and part.lower() not in EN_STOP:
            out.append(part)
    return list(dict.fromkeys(t for t in out if t))[:16]


def at_least(groups: int, k: int, *, max_clauses: int = 16) -> list[tuple[int, ...]] | None:
    """The combinations of `k` of `groups` group indexes (None: more than `max_clauses`)."""
    combos = list(itertools.islice(itertools.combinations(range(groups), k), max_clauses + 1))
    return combos if len(combos) <= max_clauses else None


# --------------------------------------------------------------------------- plain bigrams


def _cjk_grams(run: str) -> list[str]:
    return bigrams(run)


def tokens(text: str) -> list[str]:
    """Plain tokens without folding: Chinese runs as overlapping bigrams, words lower-cased (the
    first version of ticket search; a baseline for benchmarks)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        part = match.group(0)
        if CJK_RE.match(part):
            out.extend(_cjk_grams(part))
        else:
            out.append(part.lower())
    return out
