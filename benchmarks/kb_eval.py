"""Knowledge-base search evaluation: kefu's engine vs plain BM25 (bm25s) on real FAQ data.

    python benchmarks/kb_eval.py                      # both data sets, 5-fold CV, latency
    python benchmarks/kb_eval.py --write-weights      # also store tuned weights + calibration
    python benchmarks/kb_eval.py --scale 10000        # p95 query time with 10,000 articles

Data (../shared/data, never copied into the repo):
- stackfaq: faqs.jsonl → 125 articles (title = the thread's question, body = its answers);
  train_queries.jsonl → the visible user paraphrases. 5 folds stratified by thread: for fold k the
  other folds' paraphrases are the articles' alternative questions (相似问法, as a KB editor would
  add them), fold k is asked. The final weights also add every visible paraphrase.
- moi-faq-zh: answer_pool.jsonl → 3,788 articles (answer = body); train.jsonl questions become the
  titles of their articles, except fold k's, which are asked against articles without a title
  (gold = same sid or identical answer text).

Weights (4 fusion weights) are tuned by grid search on the other folds only and measured on the
held-out fold; "kefu (CV)" is the mean of those held-out figures. Plain BM25 is bm25s over the
same article text (title + questions + body) with its own tokeniser (English words + stop words;
character bigrams for Chinese) in the same run. Latency = one full kefu query (normalise,
tokenise, BM25, encode, fuse) on the final index, after warm-up.

This module builds the engine's index directly from rows (the same `search.engine` code the
server uses); `kefu kb import` + `kefu kb ask` stdin mode give the same answers through the DB.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/queue.py would shadow the stdlib `queue` module: drop this folder from the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("KEFU_EVAL_DATA", ROOT.parent / "shared" / "data"))
WEIGHTS_FILE = ROOT / "src" / "kefu" / "knowledge" / "search" / "weights.json"
FOLDS = 5
CANDIDATES = 60

from kefu.knowledge.search import encoder, engine, text  # noqa: E402


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fold_of(key: str) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % FOLDS


# ---------------------------------------------------------------- article parts (encoded once)
class Parts:
    """Tokens and vectors of every body and every candidate question, computed once."""

    def __init__(self, bodies: list[str], questions: list[str]):
        t = time.perf_counter()
        self.body_norm = [text.normalise(b, limit=20000) for b in bodies]
        self.body_tokens = [text.tokens(b, normalised=True, limit=20000) for b in self.body_norm]
        self.body_vecs = np.concatenate(
            [
                encoder.encode([b[: encoder.MAX_CHARS] for b in self.body_norm[i : i + 128]])
                for i in range(0, len(bodies), 128)
            ]
        )
        qn = [text.normalise(q) for q in questions]
        self.q_tokens = {q: text.tokens(n, normalised=True) for q, n in zip(questions, qn, strict=True)}
        vecs = np.concatenate([encoder.encode(qn[i : i + 256]) for i in range(0, len(qn), 256)]) if qn else []
        self.q_vecs = {q: vecs[i] for i, q in enumerate(questions)}
        self.seconds = time.perf_counter() - t

    def index(self, article_questions: list[list[str]]) -> engine.Index:
        docs = []
        for i, qs in enumerate(article_questions):
            docs.append(
                engine.Doc(
                    id=i,
                    stamp="",
                    audience="public",
                    language="zh-hans",
                    q_tokens=[t for q in qs for t in self.q_tokens[q]],
                    b_tokens=self.body_tokens[i],
                    q_vectors=np.stack([self.q_vecs[q] for q in qs])
                    if qs
                    else np.zeros((0, encoder.DIM), np.float32),
                    b_vector=self.body_vecs[i],
                )
            )
        index = engine.Index()
        index.upsert(docs)
        index.compile()
        return index


def features(index: engine.Index, queries: list[str], golds: list[set[int]]):
    """Per query: candidate doc ids, their 4 feature columns, gold mask (gold forced in if missed)."""
    out = []
    for q, gold in zip(queries, golds, strict=True):
        _, _, lq, lb, sq, sb = index.features(q)
        cand: set[int] = set()
        for col in (lq, lb, sq, sb):
            cand.update(np.argpartition(-col, min(CANDIDATES, len(col) - 1))[:CANDIDATES].tolist())
        cand.update(gold)
        ids = np.array(sorted(cand))
        out.append((np.stack([lq[ids], lb[ids], sq[ids], sb[ids]], axis=1), np.isin(ids, list(gold))))
    return out


def rank_metrics(feats, w) -> tuple[float, float, float, list[tuple[float, float, bool]]]:
    wv = np.asarray(w, dtype=np.float32)
    top1 = top3 = mrr = 0.0
    conf_rows = []
    for x, gold in feats:
        s = x @ wv
        order = np.argsort(-s, kind="stable")
        ranks = np.nonzero(gold[order])[0]
        r = int(ranks[0]) if len(ranks) else 10**6
        top1 += r == 0
        top3 += r < 3
        mrr += 1.0 / (r + 1) if r < 10 else 0.0
        margin = float(s[order[0]] - s[order[1]]) if len(order) > 1 else float(s[order[0]])
        sim = float(max(x[order[0], 2], x[order[0], 3])) if x.shape[1] >= 4 else 0.0
        conf_rows.append((float(s[order[0]]), margin, sim, r == 0))
    n = len(feats)
    return top1 / n, top3 / n, mrr / n, conf_rows


def unanswerable_rows(feats, w) -> list[tuple[float, float, float, bool]]:
    """The same queries asked of a KB without their right article(s), a stand-in for questions the
    KB does not cover: whatever comes first is wrong. The BM25 columns are divided again by the
    best remaining score, as the engine does when the article is not in the index."""
    wv = np.asarray(w, dtype=np.float32)
    rows = []
    for x, gold in feats:
        rest = x[~gold].copy()
        if len(rest) < 2:
            continue
        for col in (0, 1):
            best = rest[:, col].max()
            if best > 0:
                rest[:, col] /= best
        s = rest @ wv
        order = np.argsort(-s, kind="stable")
        sim = float(max(rest[order[0], 2], rest[order[0], 3]))
        rows.append((float(s[order[0]]), float(s[order[0]] - s[order[1]]), sim, False))
    return rows


GRID = [w for w in itertools.product(np.arange(0, 1.01, 0.1), repeat=4) if abs(sum(w) - 1) < 1e-6]


def tune(feats) -> tuple[float, ...]:
    best, best_w = (-1.0, -1.0), GRID[0]
    for w in GRID:
        t1, _, mrr, _ = rank_metrics(feats, w)
        if (t1, mrr) > best:
            best, best_w = (t1, mrr), w
    return tuple(round(float(v), 2) for v in best_w)


# ---------------------------------------------------------------- plain BM25 baseline
def baseline_tokens(s: str, zh: bool) -> list[str]:
    if zh:
        from kefu.core.text import tokens

        return tokens(s)
    import bm25s

    return bm25s.tokenize([s], stopwords="en", return_ids=False, show_progress=False)[0]


def bm25_baseline(docs: list[str], queries: list[str], golds: list[set[int]], zh: bool):
    import bm25s

    model = bm25s.BM25()
    model.index([baseline_tokens(d, zh) or ["\x00"] for d in docs], show_progress=False)
    vocab = model.vocab_dict
    feats = []
    for q, gold in zip(queries, golds, strict=True):
        toks = [t for t in baseline_tokens(q, zh) if t in vocab]
        s = model.get_scores(toks) if toks else np.zeros(len(docs))
        feats.append((s[:, None].astype(np.float32), np.isin(np.arange(len(docs)), list(gold))))
    t1, t3, mrr, _ = rank_metrics(feats, [1.0])
    return t1, t3, mrr


# ---------------------------------------------------------------- data sets
def stackfaq():
    faqs = load_jsonl(DATA / "stackfaq" / "faqs.jsonl")
    queries = load_jsonl(DATA / "stackfaq" / "train_queries.jsonl")
    pos = {f["faq_id"]: i for i, f in enumerate(faqs)}
    bodies = ["\n".join(f["answers"]) for f in faqs]
    titles = [f["question"] for f in faqs]
    qtexts = [q["query"] for q in queries]
    parts = Parts(bodies, titles + qtexts)
    golds = [{pos[q["faq_id"]]} for q in queries]
    folds = [fold_of(q["query"] + q["faq_id"]) for q in queries]

    def article_questions(hold: int | None):
        qs = [[t] for t in titles]
        for q, g, f in zip(qtexts, golds, folds, strict=True):
            if f != hold:
                qs[next(iter(g))].append(q)
        return qs

    def docs_text(qs):
        return [" ".join(q) + "\n" + b for q, b in zip(qs, bodies, strict=True)]

    return "stackfaq", parts, qtexts, golds, folds, article_questions, docs_text, False


def moi():
    pool = load_jsonl(DATA / "moi-faq-zh" / "answer_pool.jsonl")
    train = load_jsonl(DATA / "moi-faq-zh" / "train.jsonl")
    by_sid = {p["sid"]: i for i, p in enumerate(pool)}
    by_answer: dict[str, set[int]] = {}
    for i, p in enumerate(pool):
        by_answer.setdefault(p["answer"].strip(), set()).add(i)
    bodies = [p["answer"] for p in pool]
    qtexts = [t["question"] for t in train]
    golds = [
        ({by_sid[t["sid"]]} if t["sid"] in by_sid else set()) | by_answer.get(t["answer"].strip(), set())
        for t in train
    ]
    keep = [i for i, g in enumerate(golds) if g]
    qtexts, golds = [qtexts[i] for i in keep], [golds[i] for i in keep]
    home = [by_sid.get(train[i]["sid"], min(golds[j])) for j, i in enumerate(keep)]
    folds = [fold_of(q) for q in qtexts]
    parts = Parts(bodies, sorted(set(qtexts)))

    def article_questions(hold: int | None):
        qs: list[list[str]] = [[] for _ in pool]
        for q, h, f in zip(qtexts, home, folds, strict=True):
            if f != hold and q not in qs[h]:
                qs[h].append(q)
        return qs

    def docs_text(qs):
        return [" ".join(q) + "\n" + b for q, b in zip(qs, bodies, strict=True)]

    return "moi-faq-zh", parts, qtexts, golds, folds, article_questions, docs_text, True


# ---------------------------------------------------------------- run
def evaluate(dataset):
    name, parts, qtexts, golds, folds, article_questions, docs_text, zh = dataset
    print(
        f"\n== {name}: {len(parts.body_tokens)} articles, {len(qtexts)} visible queries, "
        f"encoded in {parts.seconds:.1f}s"
    )
    per_fold_feats = {}
    base = []
    for k in range(FOLDS):
        idx = [i for i, f in enumerate(folds) if f == k]
        qs = article_questions(k)
        index = parts.index(qs)
        per_fold_feats[k] = features(index, [qtexts[i] for i in idx], [golds[i] for i in idx])
        base.append(
            (len(idx), bm25_baseline(docs_text(qs), [qtexts[i] for i in idx], [golds[i] for i in idx], zh))
        )
    cv, conf_rows = [], []
    for k in range(FOLDS):
        train_feats = [x for j in range(FOLDS) if j != k for x in per_fold_feats[j]]
        w = tune(train_feats)
        t1, t3, mrr, rows = rank_metrics(per_fold_feats[k], w)
        cv.append((len(per_fold_feats[k]), t1, t3, mrr, w))
        conf_rows += rows
    all_feats = [x for k in range(FOLDS) for x in per_fold_feats[k]]
    final_w = tune(all_feats)
    n = sum(c[0] for c in cv)

    def mean(col, rows):
        return sum(r[0] * r[col] for r in rows) / n

    bm = [(c, *m) for c, m in base]
    print(f"{'':24}{'top-1':>8}{'top-3':>8}{'MRR':>8}")
    print(f"{'plain BM25 (bm25s)':24}{mean(1, bm):8.3f}{mean(2, bm):8.3f}{mean(3, bm):8.3f}")
    print(f"{'kefu (5-fold CV)':24}{mean(1, cv):8.3f}{mean(2, cv):8.3f}{mean(3, cv):8.3f}")
    print(f"ratio kefu/BM25 top-1: {mean(1, cv) / max(mean(1, bm), 1e-9):.2f}x")
    print("fold weights (lex_q, lex_b, sem_q, sem_b):", [c[4] for c in cv], "→ all visible:", final_w)
    # latency on the final index (all visible questions in), same queries
    final = parts.index(article_questions(None))
    final.weights = engine.Weights(*final_w)
    lat = latency(final, qtexts[:400])
    print(f"latency per query: p50 {lat[0]:.1f} ms, p95 {lat[1]:.1f} ms ({len(final)} articles)")
    return {"name": name, "weights": final_w, "conf_rows": conf_rows, "top1": mean(1, cv), "feats": all_feats}


def latency(index: engine.Index, queries: list[str]) -> tuple[float, float]:
    for q in queries[:5]:
        index.search(q, public_only=True)
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, public_only=True, limit=10)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


ANSWER_AT = 0.60  # knowledge.bot.ANSWER_AT: the bot answers on its own from this confidence


def calibrate(conf_rows, unanswerable) -> tuple[float, float, float]:
    """Logistic confidence over (top, margin), fitted on the visible queries (right or wrong top-1).

    Also prints how often the bot would answer on its own (confidence ≥ ANSWER_AT) a question the
    KB has no article for (`unanswerable_rows`): the answerable queries cannot show that."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[r[0], r[1]] for r in conf_rows])
    y = np.array([r[3] for r in conf_rows])
    model = LogisticRegression(C=10.0).fit(x, y)
    a, b = model.coef_[0]
    c = model.intercept_[0]
    p = model.predict_proba(x)[:, 1]
    answered = p >= ANSWER_AT
    alone = model.predict_proba(np.array([[r[0], r[1]] for r in unanswerable]))[:, 1] >= ANSWER_AT
    print(
        f"  answers on its own {answered.mean():.2f} of the answerable queries (right in "
        f"{y[answered].mean():.2f} of those) and {alone.mean():.2f} of the same queries with their "
        "article taken out of the KB (always wrong)"
    )
    for lo, hi in ((0, 0.2), (0.2, 0.6), (0.6, 0.8), (0.8, 1.01)):
        m = (p >= lo) & (p < hi)
        if m.any():
            print(
                f"  confidence {lo:.1f}–{min(hi, 1):.1f}: {m.sum():5d} queries, top-1 right {y[m].mean():.2f}"
            )
    return float(a), float(b), float(c)


def scale(n: int) -> None:
    """p50/p95 of a kefu query with n articles (bodies from moi-faq-zh and stackfaq, cycled)."""
    pool = [p["answer"] for p in load_jsonl(DATA / "moi-faq-zh" / "answer_pool.jsonl")]
    pool += ["\n".join(f["answers"])[:1500] for f in load_jsonl(DATA / "stackfaq" / "faqs.jsonl")]
    train = load_jsonl(DATA / "moi-faq-zh" / "train.jsonl")
    titles = [t["question"] for t in train]
    parts = Parts(pool, titles)
    docs = []
    for i in range(n):
        j = i % len(pool)
        qs = [titles[i % len(titles)]] if i % 3 else []
        docs.append(
            engine.Doc(
                id=i,
                stamp="",
                audience="public" if i % 10 else "internal",
                language="zh-hant",
                q_tokens=[t for q in qs for t in parts.q_tokens[q]],
                b_tokens=parts.body_tokens[j],
                q_vectors=np.stack([parts.q_vecs[q] for q in qs])
                if qs
                else np.zeros((0, encoder.DIM), np.float32),
                b_vector=parts.body_vecs[j],
            )
        )
    index = engine.Index()
    index.upsert(docs)
    t = time.perf_counter()
    index.compile()
    print(f"\n== scale: {n} articles, BM25 compile {1000 * (time.perf_counter() - t):.0f} ms")
    queries = [t["question"] for t in train[::7]][:300] + ["退款多久到账", "How do I delete my account?"]
    p50, p95 = latency(index, queries)
    print(f"latency per query: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 ≤ 30 ms)")
    # an edit: one article re-tokenised + re-encoded, then the next query recompiles BM25
    t = time.perf_counter()
    index.upsert(
        engine.make_docs(
            [{"id": 0, "title": "新的问题", "questions": [], "short_answer": "", "body": "一篇修改过的文章"}]
        )
    )
    index.search("新的问题")
    print(f"one edit + next query: {1000 * (time.perf_counter() - t):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["stackfaq", "moi"], default=None)
    parser.add_argument("--write-weights", action="store_true")
    parser.add_argument("--scale", type=int, default=0, help="also time queries with this many articles")
    args = parser.parse_args()
    results = []
    if args.only in (None, "stackfaq"):
        results.append(evaluate(stackfaq()))
    if args.only in (None, "moi"):
        results.append(evaluate(moi()))
    # one engine for every language: weights that maximise the mean top-1 over the data sets
    best, w = (-1.0,), GRID[0]
    for cand in GRID:
        score = (float(np.mean([rank_metrics(res["feats"], cand)[0] for res in results])),)
        if score > best:
            best, w = score, cand
    print(
        f"\njoint weights {tuple(round(float(v), 2) for v in w)}:",
        ", ".join(
            f"{res['name']} top-1 {rank_metrics(res['feats'], w)[0]:.3f} (in-sample)" for res in results
        ),
    )
    print("calibration of the joint weights (pooled visible queries):")
    a, b, c = calibrate(
        [r for res in results for r in rank_metrics(res["feats"], w)[3]],
        [r for res in results for r in unanswerable_rows(res["feats"], w)],
    )
    if args.write_weights and len(results) == 2:
        data = dict(zip(("lex_q", "lex_b", "sem_q", "sem_b"), (round(float(v), 3) for v in w), strict=True))
        data.update(conf_a=round(a, 3), conf_b=round(b, 3), conf_c=round(c, 3))
        WEIGHTS_FILE.write_text(json.dumps(data, indent=2) + "\n")
        print("written", WEIGHTS_FILE.relative_to(ROOT), data)
    if args.scale:
        scale(args.scale)


if __name__ == "__main__":
    main()
