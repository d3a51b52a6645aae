"""Reading import files: JSON Lines, CSV (same columns) or a folder of Markdown with front matter.

Each reader yields (line or file number, row dict or the exception that made the row unreadable),
so `services.import_rows` imports the good rows and reports the bad ones by line.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_FILES = 50_000


def count_rows(path: Path) -> int:
    if path.is_dir():
        return min(MAX_FILES, sum(1 for _ in path.rglob("*.md")))
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def read(path: Path) -> Iterator[tuple[int, Any]]:
    if path.is_dir():
        yield from read_markdown_folder(path)
    elif path.suffix.lower() == ".csv":
        yield from read_csv(path)
    else:
        yield from read_jsonl(path)


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
