"""Reading import files: JSON Lines, CSV (same columns) or a folder of Markdown with front matter.

Each reader yields (line or file number, row dict or the exception that made the row unreadable),
so `services.import_rows` imports the good rows and reports the bad ones by line. A row that
repeats an earlier row of the same file — the same external id, or, for rows without one, the same
title in the same language — is reported as a duplicate of that line and not imported: otherwise
the later row would silently overwrite the earlier one (same id) or make a second article nobody
can tell apart from the first (same title, no id). Rows with different external ids may share a
title. Each good row is written in one transaction (article, first version, category), so a row
the database refuses leaves nothing behind; the other rows are imported.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

MAX_FILES = 50_000


def count_rows(path: Path) -> int:
    if path.is_dir():
        return min(MAX_FILES, sum(1 for _ in path.rglob("*.md")))
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def read(path: Path) -> Iterator[tuple[int, Any]]:
    if path.is_dir():
        rows = read_markdown_folder(path)
    elif path.suffix.lower() == ".csv":
        rows = read_csv(path)
    else:
        rows = read_jsonl(path)
    yield from without_duplicates(rows)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def without_duplicates(rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """The rows, a repeat of an earlier row replaced by the error naming that row's line."""
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in rows:
        if isinstance(row, dict):
            external_id = _text(row.get("external_id"))
            if external_id:
                key = ("id", external_id, "")
                message = _("Duplicate external id %(id)s: line %(line)d has it already.")
            else:
                title = _text(row.get("title"))
                key = ("title", title, _text(row.get("language")).lower())
                message = _("Duplicate title without an external id: line %(line)d has it already.")
            if key in seen and key[1]:
                yield number, ValueError(message % {"id": key[1], "line": seen[key]})
                continue
            seen.setdefault(key, number)
        yield number, row


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                yield number, ValueError(f"not valid JSON: {exc}")


def read_csv(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            number = reader.line_num
            if None in row:
                yield number, ValueError("more cells than columns")
                continue
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if row.get("questions", "").startswith("["):
                with contextlib.suppress(ValueError):
                    row["questions"] = json.loads(row["questions"])
            yield number, row


def read_markdown_folder(path: Path) -> Iterator[tuple[int, Any]]:
    import frontmatter

    for number, file in enumerate(sorted(path.rglob("*.md"))[:MAX_FILES], start=1):
        try:
            post = frontmatter.loads(file.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad row, reported by file
            yield number, ValueError(f"{file.name}: {exc}")
            continue
        row = dict(post.metadata)
        row.setdefault("external_id", str(file.relative_to(path).with_suffix("")))
        row["body"] = post.content
        row.setdefault("answer", row.get("short_answer", ""))
        yield number, row
