"""Search tokens that work for Chinese (no word boundaries) and English alike.

Chinese runs become overlapping character bigrams (a single character stays itself), so any
two-character word such as 退款 or 发票 matches wherever it occurs; Latin words and numbers are
lower-cased whole words. The same function tokenises documents and queries; see docs/adr/0002.
"""

from __future__ import annotations

import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[0-9a-zA-Z\u00c0-\u024f]+(?:[-_.][0-9a-zA-Z]+)*")
_CJK_RE = re.compile(rf"^[{_CJK}]+$")


def _cjk_grams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        part = match.group(0)
        if _CJK_RE.match(part):
            out.extend(_cjk_grams(part))
        else:
            out.append(part.lower())
    return out


def index_text(*parts: str, limit: int = 20000) -> str:
    """Space-joined tokens for the full-text index (bounded so one huge message cannot bloat it)."""
    return " ".join(tokens(" ".join(p for p in parts if p)[:limit]))


def query_terms(query: str) -> list[str]:
    """Distinct tokens of a query, in order."""
    seen: dict[str, None] = {}
    for tok in tokens(query):
        seen.setdefault(tok, None)
    return list(seen)[:32]


def highlight_terms(query: str) -> list[str]:
    """The visible strings to mark in a result: whole Chinese runs and words of the query."""
    return [m.group(0) for m in _TOKEN_RE.finditer(query or "")][:16]
