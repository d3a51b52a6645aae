"""`kefu mail import`: .eml files, mbox files and Maildir folders, each message through the pipeline."""

from __future__ import annotations

import json
import mailbox as mailboxes
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import transaction

from kefu.core import events

from .inbound import DryRunMemory, Outcome, dry_run, ingest
from .models import Mailbox


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def messages(path_text: str) -> Iterator[tuple[str, bytes]]:
    """(source, raw bytes) for every message under a path given on the command line."""
    path = Path(path_text)
    if _is_maildir(path):
        box = mailboxes.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.keys()):
            with box.get_file(key) as handle:
                yield path_text, handle.read()
    elif path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield from messages(str(Path(root) / name))
    elif path.is_file():
        if _is_mbox(path):
            box = mailboxes.mbox(str(path), factory=None, create=False)
            for key in box.iterkeys():
                with box.get_file(key) as handle:
                    yield path_text, handle.read()
        else:
            yield path_text, path.read_bytes()


def count(paths: list[str]) -> int:
    return sum(1 for p in paths for _ in _light(p))


def _light(path_text: str) -> Iterator[None]:
    path = Path(path_text)
    if _is_maildir(path):
        for sub in ("cur", "new"):
            yield from (None for _ in (path / sub).iterdir())
    elif path.is_dir():
        for _root, _dirs, files in os.walk(path):
            yield from (None for f in files if not f.startswith("."))
    elif path.is_file():
        yield None


def json_line(source: str, outcome: Outcome) -> str:
    parsed = outcome.parsed
    return json.dumps(
        {
            "source": source,
            "from": parsed.from_email if parsed else "",
            "subject": parsed.subject if parsed else "",
            "text_chars": len(parsed.text) if parsed else 0,
            "attachments": [
                {"name": a.name, "size": len(a.content), "sha256": a.sha256}
                for a in (parsed.attachments if parsed else [])
            ],
            "decision": str(outcome.decision),
            "reason": outcome.reason,
        },
        ensure_ascii=False,
    )


def import_one(
    source: str,
    raw: bytes,
    *,
    mailbox: Mailbox | None,
    dry: bool,
    memory: DryRunMemory,
    auto_reply: bool = False,
    live: bool = False,
) -> Outcome:
    """One message of an archive. Archives are history: like the demo's past tickets, their events are
    written but not reacted to (no routing, SLA timers or auto-replies) unless `live`."""
    if dry:
        return dry_run(raw, mailbox=mailbox, memory=memory)
    if live:
        return ingest(raw, mailbox=mailbox, source=source, auto_reply=auto_reply, loop_check=False)
    with events.muted():
        return ingest(raw, mailbox=mailbox, source=source, auto_reply=False, loop_check=False)


BATCH_MAILS = 200
BATCH_BYTES = 16 * 1024 * 1024


def import_many(
    items: Iterable[tuple[str, bytes]],
    *,
    mailbox: Mailbox | None,
    dry: bool,
    memory: DryRunMemory,
    auto_reply: bool = False,
    live: bool = False,
    batch: int = BATCH_MAILS,
) -> Iterator[tuple[str, Outcome]]:
    """(source, outcome) for every message, committed in transactions of up to `batch` mails.

    An archive is its own raw copy, so the per-mail "raw first" commit is not needed here: each
    batch (raw rows, tickets, messages) commits together or not at all. A crash mid-batch (even
    while reading the archive) loses that uncommitted batch only, and running the import again
    gives the same result (the sha256/Message-ID dedupe skips what was committed). Outcomes are
    yielded after their batch is committed.
    """
    if dry:
        for source, raw in items:
            yield source, import_one(source, raw, mailbox=mailbox, dry=True, memory=memory)
        return
    pending = iter(items)
    while True:
        done: list[tuple[str, Outcome]] = []
        size = 0
        with transaction.atomic():
            for source, raw in pending:
                outcome = import_one(
                    source, raw, mailbox=mailbox, dry=False, memory=memory, auto_reply=auto_reply, live=live
                )
                done.append((source, outcome))
                size += len(raw)
                if len(done) >= batch or size >= BATCH_BYTES:
                    break
        if not done:
            return
        yield from done
