"""The fast prediction path gives the fitted model's own probabilities (what supervisors and the
apply threshold see), with and without the sentence encoder, for many classes and for two."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.routing import classifier
from tests.routing.conftest import TRAIN_ROWS

UNSEEN = [
    "发票抬头写错了能改吗",
    "仓库什么时候发货？",
    "收到的杯子有裂纹",
    "Where is my parcel?",
    "臺北的倉庫",
    "",
    "😀😀😀",
    "完全无关的一句话 zzzz",
]


@pytest.mark.parametrize("encoder", [1.0, 0.0], ids=["encoder", "tfidf-only"])
@pytest.mark.parametrize("two_classes", [False, True], ids=["three-labels", "two-labels"])
def test_new_tickets_get_the_models_own_probabilities(encoder, two_classes):
    rows = [r for r in TRAIN_ROWS if not two_classes or r[1] != "质检"]
    pipeline = classifier.fit(
        [t for t, _ in rows], [label for _, label in rows], classifier.Params(sentence_vectors=encoder)
    )
    scorer = classifier._scorer(pipeline)
    assert scorer is not None
    expected = pipeline.predict_proba(UNSEEN)
    assert np.allclose(scorer.predict_proba(UNSEEN), expected, rtol=0, atol=1e-9)
    labels = [label for label, _p in classifier.predict(pipeline, UNSEEN)]
    assert labels == list(pipeline.classes_[expected.argmax(axis=1)])
    assert labels[0] == "财务"
