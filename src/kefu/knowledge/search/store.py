"""The process-wide index, persisted under KEFU_DATA_DIR/knowledge/ and kept in step with the DB.

The database is the source of truth. Each process holds one `engine.Index`; before a query it
compares a cheap fingerprint of the articles table (count, latest update) with the one it last
saw (at most every `KEFU_KB_SYNC_SECONDS`, immediately after a local change) and, if it moved,
re-indexes only the articles whose `updated_at` changed and drops the ones no longer published.
After a change the snapshot is written atomically (meta.json + vectors.npz), so a restart loads it
and syncs the difference instead of re-encoding every article.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from . import engine, text

log = logging.getLogger("kefu.knowledge")
_lock = threading.RLock()
_state: dict = {"index": None, "fingerprint": None, "checked": 0.0, "synonyms": None}


def index_dir() -> Path:
    return Path(settings.DATA_DIR) / "knowledge" / "index"


def _sync_seconds() -> float:
    return float(getattr(settings, "KEFU_KB_SYNC_SECONDS", 2.0))


def mark_dirty() -> None:
    """A local change: the next query checks the database at once."""
    _state["checked"] = 0.0


def reset() -> None:
    """Forget the in-memory index (tests, a new data dir)."""
    with _lock:
        _state.update(index=None, fingerprint=None, checked=0.0, synonyms=None)


def _fingerprint() -> tuple:
    from kefu.knowledge.models import Article, Synonym

    a = Article.objects.aggregate(n=Count("id"), m=Max("updated_at"))
    s = Synonym.objects.aggregate(n=Count("id"), m=Max("updated_at"))
    return (a["n"], str(a["m"]), s["n"], str(s["m"]))


def _load_synonyms() -> str:
    from kefu.knowledge.models import Synonym

    groups = [s.term_list() for s in Synonym.objects.order_by("pk")]
    text.set_synonyms(groups)
    digest = hashlib.sha256(json.dumps(groups, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{engine.ENGINE_VERSION}:{digest}"


def article_row(article) -> dict:
    return {
        "id": article.pk,
        "stamp": article.updated_at.isoformat(),
        "audience": article.audience,
        "language": article.language,
        "title": article.title,
        "questions": list(article.questions or []),
        "short_answer": article.short_answer,
        "body": article.body,
    }


def _indexable():
    from kefu.knowledge.models import Article
    from kefu.knowledge.states import Status

    return Article.objects.filter(status=Status.PUBLISHED)


def get_index() -> engine.Index:
    """The synced index (loads the snapshot on first use)."""
    now = time.monotonic()
    index = _state["index"]
    if index is not None and now - _state["checked"] < _sync_seconds():
        return index
    with _lock:
        fp = _fingerprint()
        _state["checked"] = time.monotonic()
        if _state["index"] is not None and fp == _state["fingerprint"]:
            return _state["index"]
        key = _load_synonyms()
        if _state["index"] is None or _state["synonyms"] != key:
            _state["index"] = load(key) or new_index()
            _state["synonyms"] = key
        changed = _sync(_state["index"])
        _state["fingerprint"] = fp
        if changed:
            save(_state["index"], key)
        return _state["index"]


def _sync(index: engine.Index) -> bool:
    current = {pk: stamp.isoformat() for pk, stamp in _indexable().values_list("pk", "updated_at")}
    gone = [pk for pk in index.docs if pk not in current]
    stale = [pk for pk, stamp in current.items() if pk not in index.docs or index.docs[pk].stamp != stamp]
    index.remove(gone)
    for start in range(0, len(stale), 500):
        chunk = stale[start : start + 500]
        rows = [article_row(a) for a in _indexable().filter(pk__in=chunk)]
        index.upsert(engine.make_docs(rows))
    index.compile()
    return bool(gone or stale)


def rebuild() -> engine.Index:
    """Re-index every published article from scratch (`kefu kb reindex`)."""
    with _lock:
        key = _load_synonyms()
        index = new_index()
        _sync(index)
        save(index, key)
        _state.update(index=index, fingerprint=_fingerprint(), checked=time.monotonic(), synonyms=key)
        return index


def new_index() -> engine.Index:
    weights, families = tuned_weights(), tuned_family_weights()
    return engine.Index(weights=weights, family_weights=families)


def _weights_file() -> dict:
    try:
        data = json.loads(Path(__file__).with_name("weights.json").read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _fields(data: dict) -> dict[str, float]:
    return {k: float(v) for k, v in data.items() if k in engine.Weights.__dataclass_fields__}


def tuned_weights() -> engine.Weights:
    """The joint weights and the confidence calibration (weights.json's top level)."""
    try:
        return engine.Weights(**_fields(_weights_file()))
    except (ValueError, TypeError):
        return engine.DEFAULT_WEIGHTS


def tuned_family_weights() -> dict[str, engine.Weights]:
    """Per language family fusion weights (weights.json "families"), each with the joint
    calibration: one confidence scale for every language."""
    joint = tuned_weights()
    out = {}
    for family, data in (_weights_file().get("families") or {}).items():
        try:
            out[family] = dataclasses.replace(joint, **_fields(data))
        except (ValueError, TypeError, AttributeError):
            continue
    return out


# ----- snapshot -----
def save(index: engine.Index, key: str) -> None:
    folder = index_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        docs = list(index.docs.values())
        meta = {
            "key": key,
            "docs": [
                {
                    "id": d.id,
                    "stamp": d.stamp,
                    "audience": d.audience,
                    "language": d.language,
                    "q": d.q_tokens,
                    "bw": d.b_words,
                    "bg": d.b_grams,
                    "nq": len(d.q_vectors),
                }
                for d in docs
            ],
        }
        q = np.concatenate([d.q_vectors for d in docs]) if docs else np.zeros((0, 512), np.float32)
        b = np.stack([d.b_vector for d in docs]) if docs else np.zeros((0, 512), np.float32)
        _atomic(folder / "vectors.npz", lambda f: np.savez(f, q=q.astype(np.float16), b=b.astype(np.float16)))
        _atomic(folder / "meta.json", lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode()))
    except OSError:
        log.exception("knowledge index snapshot not written")


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(key: str) -> engine.Index | None:
    folder = index_dir()
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("key") != key:
            return None
        with np.load(folder / "vectors.npz") as arrays:
            q = arrays["q"].astype(np.float32)
            b = arrays["b"].astype(np.float32)
    except (OSError, ValueError, KeyError):
        return None
    if len(b) != len(meta["docs"]) or len(q) != sum(d["nq"] for d in meta["docs"]):
        return None
    index = new_index()
    docs, pos = [], 0
    for i, d in enumerate(meta["docs"]):
        docs.append(
            engine.Doc(
                id=d["id"],
                stamp=d["stamp"],
                audience=d["audience"],
                language=d["language"],
                q_tokens=d["q"],
                b_words=d["bw"],
                b_grams=d["bg"],
                q_vectors=q[pos : pos + d["nq"]],
                b_vector=b[i],
            )
        )
        pos += d["nq"]
    index.upsert(docs)
    return index
