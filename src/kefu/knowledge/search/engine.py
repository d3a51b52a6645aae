"""The in-memory search index: three BM25 fields (bm25s) + two encoder fields, fused by weights.

A document is an article: its title and alternative questions ("q" field) and its short answer +
body ("b" field). "q" has a BM25 score over `text.tokens`; "b" has two, over its words and over its
character bigrams (`text.token_fields`: as one mixed field the body matched questions worse, ADR
0004 round 5). Each field also has a semantic score (cosine with the encoder; for "q" the best of
the title and each question). The fused score is a weighted sum of the five, the BM25 parts divided
by the query's best BM25 score so that weights mean the same for every query; a search within one
language family uses that family's fusion weights when it has its own (`Index.family_weights`,
tuned on the visible data of that family), else the joint ones. An article whose title and
questions hold no word of the query is scored on its body in the "q" channel too (BM25 and
cosine), as an untitled one: a title that says nothing about the question never buries the
article whose body answers it, unless another article's title holds the whole question (ADR 0014). `confidence` maps the top score, its margin over the runner-up and
the top article's `coverage` of the query (absolute: how much of the query's IDF mass it contains)
to a probability that the top article is right (logistic with non-negative weights, fitted on the
visible evaluation data plus the same questions asked without their article).

Per-document tokens and vectors are kept, so an edit re-tokenises and re-encodes one article;
the BM25 matrices are recompiled from the kept tokens on the next query (milliseconds, no
re-tokenising or re-encoding of the others).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from . import encoder, text

ENGINE_VERSION = (
    5  # 4: the body as two BM25 fields (words, bigrams); 5: a short answer the body holds counted once
)
DELTA_MAX = 200  # edited articles scored beside the BM25 matrix before a full recompile
# BM25 term saturation: the title/questions keep bm25s's default; the body's two fields saturate
# sooner (k1 picked among 0.8 / 1.0 / 1.2 by the 5-fold CV of benchmarks/kb_eval.py, round 5)
K1_Q, K1_B, BM25_B = 1.2, 0.8, 0.75
# The body stands in for a title that holds none of the question in full while no article's title
# holds more than this share of the question's IDF mass, and fades out linearly up to a title that
# holds all of it (ADR 0014; picked among 0.5–0.95 on moi-faq-zh fold 0). 1.0: always in full, the
# rule of ENGINE_VERSION 5 (kept for benchmarks/kb_eval.py's "previous" figures).
EXACT_TITLE_AT = 0.95


@dataclass(frozen=True)
class Weights:
    lex_q: float = 0.35
    lex_bw: float = 0.1  # body words
    lex_bg: float = 0.1  # body character bigrams
    sem_q: float = 0.3
    sem_b: float = 0.15
    # confidence = sigmoid(a * top + b * margin + cov * coverage + mc * margin * coverage + c);
    # top and margin are relative (BM25 divided by the query's best), coverage is absolute
    conf_a: float = 3.0
    conf_b: float = 0.0
    conf_cov: float = 2.0
    conf_mc: float = 4.0
    conf_c: float = -3.5


DEFAULT_WEIGHTS = Weights()


@dataclass
class Doc:
    id: int
    stamp: str
    audience: str
    language: str
    q_tokens: list[str]
    b_words: list[str]
    b_grams: list[str]
    q_vectors: np.ndarray  # (k, 512), k >= 0
    b_vector: np.ndarray  # (512,)


@dataclass
class Hit:
    id: int
    score: float
    lex: float = 0.0
    sem: float = 0.0
    coverage: float = 0.0


@dataclass
class Result:
    hits: list[Hit]
    confidence: float
    normalised_query: str = ""
    terms: list[str] = field(default_factory=list)


def language_family(language: str) -> str:
    return "zh" if (language or "").lower().startswith("zh") else (language or "").lower()[:2]


_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]{2,}")


def pick_families(index: Index, query: str, language: str = "") -> set[str] | None:
    """Which articles' languages to search: the query's own script first (a Chinese question is
    answered from Chinese articles whatever the page language), else the customer's language;
    None (every language) when there are no articles in it — the encoder is multilingual."""
    available = index.families()
    if _CJK_RE.search(query or ""):
        wanted = "zh"
    elif _LATIN_RE.search(query or "") and "en" in available:
        wanted = "en"
    else:
        wanted = language_family(language or "zh-hans")
    return {wanted} if wanted in available else None


def make_doc(
    *,
    id: int,
    stamp: str,
    audience: str,
    language: str,
    title: str,
    questions: list[str],
    short_answer: str,
    body: str,
) -> Doc:
    docs = make_docs(
        [
            dict(
                id=id,
                stamp=stamp,
                audience=audience,
                language=language,
                title=title,
                questions=questions,
                short_answer=short_answer,
                body=body,
            )
        ]
    )
    return docs[0]


def article_text(short_answer: str, body: str) -> str:
    """The text of the body field: the short answer, then the body, unless the body already holds
    the short answer (an import row with only an answer has both: counted twice, every word of a
    short article would have had twice its frequency and the article twice its length)."""
    if " ".join(short_answer.split()) in " ".join(body.split()):
        return body
    return " ".join(p for p in (short_answer, body) if p)


def make_docs(rows: list[dict], *, batch: int = 256) -> list[Doc]:
    """Tokenise and encode many articles at once (batched encoder calls)."""
    prepared = []
    for row in rows:
        qs = [q for q in [row.get("title") or "", *(row.get("questions") or [])] if q and q.strip()]
        qs_norm = [text.normalise(q) for q in qs][:20]
        body = article_text(row.get("short_answer") or "", row.get("body") or "")
        body_norm = text.normalise(body, limit=20000)
        prepared.append((row, qs_norm, body_norm))
    flat_q = [q for _, qs, _ in prepared for q in qs]
    flat_b = [b[: encoder.MAX_CHARS] for _, _, b in prepared]
    q_vecs = np.concatenate(
        [encoder.encode(flat_q[i : i + batch]) for i in range(0, len(flat_q), batch)]
        or [np.zeros((0, encoder.DIM), np.float32)]
    )
    b_vecs = np.concatenate(
        [encoder.encode(flat_b[i : i + batch]) for i in range(0, len(flat_b), batch)]
        or [np.zeros((0, encoder.DIM), np.float32)]
    )
    out, pos = [], 0
    for i, (row, qs, body_norm) in enumerate(prepared):
        q_tokens = [t for q in qs for t in text.tokens(q, normalised=True)]
        b_words, b_grams = text.token_fields(body_norm, normalised=True, limit=20000)
        out.append(
            Doc(
                id=int(row["id"]),
                stamp=str(row.get("stamp", "")),
                audience=row.get("audience") or "public",
                language=row.get("language") or "zh-hans",
                q_tokens=q_tokens,
                b_words=b_words,
                b_grams=b_grams,
                q_vectors=q_vecs[pos : pos + len(qs)],
                b_vector=b_vecs[i],
            )
        )
        pos += len(qs)
    return out


class _Bm25Field:
    def __init__(self, corpus: list[list[str]], k1: float = K1_Q):
        import bm25s

        self.empty = not any(corpus)
        self.n = len(corpus)
        self.k1 = k1
        if self.empty:
            return
        self.model = bm25s.BM25(k1=k1, b=BM25_B)
        # bm25s needs at least one token per document
        self.model.index([toks or ["\x00"] for toks in corpus], show_progress=False)
        self.vocab = self.model.vocab_dict
        self.avgdl = max(1.0, float(np.mean([len(toks) or 1 for toks in corpus])))

    def delta_scores(self, query_tokens: list[str], corpus: list[list[str]]) -> np.ndarray:
        """BM25 (lucene variant, as bm25s) of documents outside the matrix, with this field's
        statistics: an edited article is scored at once, without recompiling the matrix."""
        out = np.zeros(len(corpus), dtype=np.float32)
        if not corpus or not query_tokens:
            return out
        n = max(self.n, 1)
        if self.empty:
            avgdl, df_of = max(1.0, float(np.mean([len(c) for c in corpus]))), (lambda t: 0)
        else:
            avgdl = self.avgdl
            indptr = self.model.scores["indptr"]

            def df_of(t: str) -> int:
                j = self.vocab.get(t)
                return 0 if j is None else int(indptr[j + 1] - indptr[j])

        k1, b = self.k1, BM25_B
        terms = set(query_tokens)
        idf = {t: math.log(1 + (n - df_of(t) + 0.5) / (df_of(t) + 0.5)) for t in terms}
        for i, toks in enumerate(corpus):
            dl = len(toks) or 1
            norm = k1 * (1 - b + b * dl / avgdl)
            total = 0.0
            for t in terms:
                tf = toks.count(t)
                if tf:
                    total += idf[t] * tf / (tf + norm)
            out[i] = total
        return out

    def postings(self, token: str) -> np.ndarray:
        """Positions of the documents (in the matrix) that contain `token`, sorted (bm25s keeps
        each term's column in document order)."""
        j = None if self.empty else self.vocab.get(token)
        if j is None:
            return np.zeros(0, dtype=np.int32)
        sc = self.model.scores
        return sc["indices"][sc["indptr"][j] : sc["indptr"][j + 1]]

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if self.empty:
            return np.zeros(self.n, dtype=np.float32)
        known = [t for t in query_tokens if t in self.vocab]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)


class Index:
    """Articles by id; compiled arrays rebuilt lazily after changes."""

    def __init__(self, weights: Weights = DEFAULT_WEIGHTS, family_weights: dict[str, Weights] | None = None):
        self.weights = weights
        self.family_weights = family_weights or {}
        self.docs: dict[int, Doc] = {}
        self._lock = threading.RLock()
        self._compiled = False

    # ----- changes -----
    def upsert(self, docs: list[Doc]) -> None:
        """Add or replace articles. Once compiled, a few changes go to a small delta segment
        (the old row is masked out); past DELTA_MAX the next query recompiles everything."""
        with self._lock:
            for doc in docs:
                self.docs[doc.id] = doc
            if not docs or not self._compiled:
                return
            if len(self._delta) + len(docs) > DELTA_MAX:
                self._compiled = False
                return
            for doc in docs:
                self._kill(doc.id)
                self._delta[doc.id] = doc
            self._assemble()

    def remove(self, ids) -> None:
        with self._lock:
            changed = False
            for i in ids:
                if self.docs.pop(int(i), None) is not None:
                    changed = True
                    if self._compiled:
                        self._kill(int(i))
                        self._delta.pop(int(i), None)
            if changed and self._compiled:
                self._assemble()

    def _kill(self, doc_id: int) -> None:
        pos = self._main_pos.get(doc_id)
        if pos is not None:
            self._dead[pos] = True

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def ids(self) -> np.ndarray:
        """Article id of each position of the `features` columns (compiled)."""
        self.compile()
        return self._ids

    @property
    def alive(self) -> np.ndarray:
        """Which positions of the `features` columns are current (an edited article's old row is not)."""
        self.compile()
        return self._alive

    # ----- compile -----
    def _compile(self) -> None:
        docs = list(self.docs.values())
        self._ids = np.array([d.id for d in docs], dtype=np.int64)
        self._public = np.array([d.audience == "public" for d in docs], dtype=bool)
        self._family = np.array([language_family(d.language) for d in docs])
        self._lex_q = _Bm25Field([d.q_tokens for d in docs])
        self._lex_bw = _Bm25Field([d.b_words for d in docs], K1_B)
        self._lex_bg = _Bm25Field([d.b_grams for d in docs], K1_B)
        counts = [len(d.q_vectors) for d in docs]
        offsets = (
            np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if docs else np.zeros(0, np.int64)
        )
        with_q = np.array([c > 0 for c in counts], dtype=bool)
        self._q_docs = np.nonzero(with_q)[0]
        self._q_starts = offsets[with_q] if docs else offsets
        self._q_mat = (
            np.concatenate([d.q_vectors for d in docs])
            if sum(counts)
            else np.zeros((0, encoder.DIM), np.float32)
        )
        self._b_mat = np.stack([d.b_vector for d in docs]) if docs else np.zeros((0, encoder.DIM), np.float32)
        self._main_ids = self._ids
        self._main_public, self._main_family = self._public, self._family
        self._main_pos = {int(i): p for p, i in enumerate(self._ids)}
        self._dead = np.zeros(len(docs), dtype=bool)
        self._delta: dict[int, Doc] = {}
        self._df_cache: dict[str, int] = {}
        self._compiled = True
        self._assemble()

    def _assemble(self) -> None:
        """Concatenate the main arrays with the (small) delta segment."""
        delta = list(self._delta.values())
        self._delta_docs = delta
        self._d_q = [d.q_tokens for d in delta]
        self._d_bw = [d.b_words for d in delta]
        self._d_bg = [d.b_grams for d in delta]
        self._d_qset = [set(d.q_tokens) for d in delta]
        self._d_vocab = [set(d.q_tokens) | set(d.b_words) | set(d.b_grams) for d in delta]
        self._d_b_mat = (
            np.stack([d.b_vector for d in delta]) if delta else np.zeros((0, encoder.DIM), np.float32)
        )
        self._ids = np.concatenate([self._main_ids, np.array([d.id for d in delta], dtype=np.int64)])
        self._public = np.concatenate(
            [self._main_public & ~self._dead, np.array([d.audience == "public" for d in delta], dtype=bool)]
        )
        self._alive = np.concatenate([~self._dead, np.ones(len(delta), dtype=bool)])
        self._family = np.concatenate(
            [self._main_family, np.array([language_family(d.language) for d in delta])]
        )

    def compile(self) -> None:
        with self._lock:
            if not self._compiled:
                self._compile()

    def families(self) -> set[str]:
        self.compile()
        return set(self._family[self._alive].tolist())

    # ----- query -----
    def weights_for(self, families: set[str] | None) -> Weights:
        """The fusion weights of the one family searched, if it has its own; else the joint ones."""
        if families and len(families) == 1:
            return self.family_weights.get(next(iter(families)), self.weights)
        return self.weights

    def coverage(self, toks: list[str], positions) -> np.ndarray:
        """Absolute evidence, unlike the BM25 parts (divided by the query's best score): the share
        of the query's IDF mass that each document at `positions` contains (title, questions or
        body). A query word no article has (以旧换新 in a KB without a trade-in article) keeps its
        full IDF, so a question the KB does not cover scores low even when some article leads."""
        self.compile()
        positions = np.asarray(positions, dtype=np.int64)
        out = np.zeros(len(positions), dtype=np.float64)
        terms = list(dict.fromkeys(toks))
        if not terms or not len(positions):
            return out
        m = len(self._main_ids)
        n = max(1, int(self._alive.sum()))
        in_main = positions < m
        total = 0.0
        for t in terms:
            # a token is in the body when it is one of its words or one of its bigrams
            lists = (self._lex_q.postings(t), self._lex_bw.postings(t), self._lex_bg.postings(t))
            has = np.zeros(len(positions), dtype=bool)
            for plist in lists:
                has[in_main] |= _contains(plist, positions[in_main])
            df = self._df_cache.get(t)
            if df is None:
                # documents with the word in any field; edited rows still count until the next
                # recompile (at most DELTA_MAX of them: the IDF barely moves)
                df = self._df_cache[t] = len(np.unique(np.concatenate(lists)))
            for j, vocab in enumerate(self._d_vocab):
                if t in vocab:
                    df += 1
                    has |= positions == m + j
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf
            out += idf * has
        return out / total if total > 0 else out

    def title_coverage(self, toks: list[str]) -> np.ndarray:
        """Per position: the share of the query's IDF mass (IDF over titles and questions) that
        the article's title and questions contain."""
        self.compile()
        out = np.zeros(len(self._ids), dtype=np.float64)
        terms = list(dict.fromkeys(toks))
        m = len(self._main_ids)
        n = max(1, int(self._alive.sum()))
        total = 0.0
        for t in terms:
            plist = self._lex_q.postings(t)
            delta = [m + j for j, qs in enumerate(self._d_qset) if t in qs]
            df = len(plist) + len(delta)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf
            out[plist] += idf
            out[delta] += idf
        return out / total if total > 0 else out

    def features(self, query: str, within: np.ndarray | None = None):
        """Per-document feature columns (lex_q, lex_bw, lex_bg, sem_q, sem_b) for a query,
        normalised. `within`: the positions the search may show (default: every current one),
        whose best title decides how far bodies stand in for silent titles."""
        self.compile()
        norm = text.normalise(query)
        toks = text.tokens(norm, normalised=True)
        n = len(self._ids)
        m = len(self._main_ids)
        lq = np.concatenate([self._lex_q.scores(toks), self._lex_q.delta_scores(toks, self._d_q)])
        q_words, q_grams = text.token_fields(norm, normalised=True)
        lbw = np.concatenate([self._lex_bw.scores(q_words), self._lex_bw.delta_scores(q_words, self._d_bw)])
        lbg = np.concatenate([self._lex_bg.scores(q_grams), self._lex_bg.delta_scores(q_grams, self._d_bg)])
        alive = self._alive
        lq, lbw, lbg = (_by_best(np.where(alive, col, 0.0)) for col in (lq, lbw, lbg))
        if norm.strip() and n:
            qv = encoder.encode([norm])[0]
            sq = np.zeros(n, dtype=np.float32)
            if len(self._q_mat):
                sims = self._q_mat @ qv
                sq[self._q_docs] = np.maximum.reduceat(sims, self._q_starts)
            for j, doc in enumerate(self._delta_docs):
                sq[m + j] = float((doc.q_vectors @ qv).max()) if len(doc.q_vectors) else 0.0
            sb = np.concatenate([self._b_mat @ qv, self._d_b_mat @ qv])
        else:
            sq = np.zeros(n, dtype=np.float32)
            sb = np.zeros(n, dtype=np.float32)
        # A title that holds no word of the question says nothing about it: like an untitled
        # article, the article's body stands in for its question channel ("FAQ", a title in other
        # words). A title that holds any of the question is evidence, scored as such. The stand-in
        # fades out as some article's title holds the whole question: an exact title is the best
        # evidence there is, and a body standing in beside it would outvote it (ADR 0014).
        if n:
            cover = self.title_coverage(toks)
            shown = self._alive if within is None else within & self._alive
            share = stand_in_share(float(cover[shown].max()) if shown.any() else 0.0)
            if share > 0.0:
                silent = cover <= 0.0
                lq = np.where(silent, share * _by_best(lbw + lbg), lq)
                sq = np.where(silent, np.maximum(sq, share * sb), sq)
        return norm, toks, lq, lbw, lbg, sq, sb

    def search_mask(self, *, public_only: bool = True, families: set[str] | None = None) -> np.ndarray:
        """The positions a search may show: current, public when asked, in the families asked."""
        self.compile()
        mask = self._alive.copy()
        if public_only:
            mask &= self._public
        if families:
            mask &= np.isin(self._family, list(families))
        return mask

    def search(
        self,
        query: str,
        *,
        public_only: bool = True,
        families: set[str] | None = None,
        limit: int = 10,
        weights: Weights | None = None,
    ) -> Result:
        w = weights or self.weights_for(families)
        with self._lock:
            self.compile()
            mask = self.search_mask(public_only=public_only, families=families)
            norm, toks, lq, lbw, lbg, sq, sb = self.features(query, within=mask)
            if not len(self._ids) or not toks and not norm.strip():
                return Result(hits=[], confidence=0.0, normalised_query=norm, terms=toks)
            lex = w.lex_q * lq + w.lex_bw * lbw + w.lex_bg * lbg
            score = lex + w.sem_q * sq + w.sem_b * sb
            score = np.where(mask, score, -np.inf)
            k = min(limit, int(mask.sum()))
            if k <= 0:
                return Result(hits=[], confidence=0.0, normalised_query=norm, terms=toks)
            top = np.argpartition(-score, k - 1)[:k]
            top = top[np.argsort(-score[top])]
            hits = [
                Hit(
                    id=int(self._ids[i]),
                    score=float(score[i]),
                    lex=float(lex[i]),
                    sem=float(w.sem_q * sq[i] + w.sem_b * sb[i]),
                )
                for i in top
            ]
            cover = text.coverage_tokens(norm, normalised=True)
            hits[0].coverage = float(self.coverage(cover, top[:1])[0])
        return Result(hits=hits, confidence=confidence(hits, w), normalised_query=norm, terms=toks)


def stand_in_share(best_title_coverage: float) -> float:
    """How much of the body stands in for a silent title: all of it while no article's title holds
    more than EXACT_TITLE_AT of the question, fading to nothing when one holds all of it."""
    if EXACT_TITLE_AT >= 1.0:
        return 1.0
    return min(1.0, max(0.0, (1.0 - best_title_coverage) / (1.0 - EXACT_TITLE_AT)))


def _by_best(col: np.ndarray) -> np.ndarray:
    """A BM25 column divided by the query's best score (all zeros stay zeros)."""
    best = col.max() if len(col) else 0.0
    return col / best if best > 0 else col


def _contains(sorted_values: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Which `items` are in `sorted_values` (binary search: np.isin sorts both every time)."""
    if not len(sorted_values) or not len(items):
        return np.zeros(len(items), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, items), len(sorted_values) - 1)
    return sorted_values[at] == items


def confidence(hits: list[Hit], w: Weights) -> float:
    if not hits:
        return 0.0
    top = hits[0].score
    margin = top - hits[1].score if len(hits) > 1 else top
    cov = hits[0].coverage
    z = w.conf_a * top + w.conf_b * margin + w.conf_cov * cov + w.conf_mc * margin * cov + w.conf_c
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
