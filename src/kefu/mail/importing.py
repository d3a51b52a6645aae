"""`kefu mail import`: .eml files, mbox files and Maildir folders, each message through the pipeline."""

from __future__ import annotations

import json
import logging
import mailbox as mailboxes
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from kefu.core import events
from kefu.intake.services import prefetch_senders, receiving_many

from .inbound import (
    DryRunMemory,
    Lookups,
    Outcome,
    default_limit,
    deferred_finishes,
    dry_run,
    ingest,
    parse_seconds,
    process,
    raw_row,
)
from .models import InboundMail, Mailbox
from .parsing import ParsedMail, ParseFailure, parse_many

log = logging.getLogger("kefu.mail")


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


def _import_stored(
    mail: InboundMail,
    *,
    parsed: ParsedMail | ParseFailure | None,
    lookups: Lookups | None,
    auto_reply: bool,
    live: bool,
) -> Outcome:
    """import_one() for a mail whose raw row a batch has already stored (and maybe parsed)."""
    if live:
        return process(mail, auto_reply=auto_reply, loop_check=False, parsed=parsed, lookups=lookups)
    with events.muted():
        return process(mail, auto_reply=False, loop_check=False, parsed=parsed, lookups=lookups)


BATCH_MAILS = 200
BATCH_BYTES = 16 * 1024 * 1024
POOL_MIN = 32  # a batch smaller than this is parsed here: a worker process is not worth starting


def default_parse_workers() -> int:
    """Processes that parse the next batch while this one writes: one if there is a second core.

    The command line uses it. Workers are started with "spawn", which imports the main module of
    the program again: a script calling `import_many(parse_workers=…)` needs the usual
    `if __name__ == "__main__":` guard, so the default of `import_many` itself stays 0."""
    return 1 if (os.cpu_count() or 1) > 1 else 0


Chunk = list[tuple[str, bytes]]


def _read_chunk(pending: Iterator[tuple[str, bytes]], batch: int) -> tuple[Chunk, Exception | None]:
    """The next batch of the archive, and the error that stopped reading it (if any)."""
    chunk: Chunk = []
    size = 0
    try:
        for source, raw in pending:
            chunk.append((source, raw))
            size += len(raw)
            if len(chunk) >= batch or size >= BATCH_BYTES:
                break
    except Exception as err:
        return chunk, err
    return chunk, None


class Stopped(SystemExit):
    """The import was asked to stop (SIGTERM, SIGHUP): unwinds like Ctrl-C's KeyboardInterrupt, so
    the batch being written rolls back and the parsing processes are stopped on the way out."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped(128 + signum)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Parsing:
    """Parses batches ahead in worker processes (`parse_many`), or here when that is not possible.

    Parsing is a pure function of the bytes, so where it runs changes nothing but the time. A
    worker that dies or cannot start only means the batch is parsed here.

    The workers stop with the import: a normal end waits for them; Ctrl-C (KeyboardInterrupt),
    SIGTERM or SIGHUP (turned into `Stopped` while the pool may run) or any error terminates them
    at once, with a second Ctrl-C ignored meanwhile, so none is left running as an orphan.
    """

    def __init__(self, workers: int, limit: int, seconds: float = 0) -> None:
        self.workers = workers
        self.limit = limit  # larger mails are quarantined unparsed, as in process()
        self.seconds = seconds  # the time limit of one mail ("parse timeout")
        self.pool: ProcessPoolExecutor | None = None
        self._handlers: dict[int, Any] = {}  # the handlers to restore

    def __enter__(self) -> _Parsing:
        if self.workers > 0 and threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._handlers[signum] = signal.signal(signum, _stop)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        pool, self.pool = self.pool, None
        try:
            if pool is None:
                return
            if exc_type is None:
                pool.shutdown(wait=True, cancel_futures=True)
            else:
                self._terminate(pool)
        finally:
            for signum, handler in self._handlers.items():
                signal.signal(signum, handler)
            self._handlers.clear()

    @staticmethod
    def _terminate(pool: ProcessPoolExecutor) -> None:
        """Stop the workers now: what they parse is of no use once the import stops."""
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None  # a second Ctrl-C
        try:
            processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                if process.is_alive():
                    process.terminate()
            for process in processes:
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join(5)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _raws(self, chunk: Chunk) -> list[bytes]:
        return [raw if len(raw) <= self.limit else b"" for _source, raw in chunk]

    def submit(self, chunk: Chunk) -> Future[list[ParsedMail | ParseFailure]] | None:
        if self.workers <= 0 or len(chunk) < POOL_MIN:
            return None
        try:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self.pool.submit(parse_many, self._raws(chunk), self.seconds)
        except Exception:
            log.warning("cannot start a parsing process; parsing in this one", exc_info=True)
            self.workers = 0
            return None

    def results(
        self, chunk: Chunk, future: Future[list[ParsedMail | ParseFailure]] | None
    ) -> list[ParsedMail | ParseFailure | None]:
        done: list[ParsedMail | ParseFailure] | None = None
        if future is not None:
            try:
                done = future.result()
            except Exception:
                log.warning("the parsing process failed; parsing in this one", exc_info=True)
                self.workers = 0
        if done is None:
            done = parse_many(self._raws(chunk), self.seconds)
        return [None if len(raw) > self.limit else p for (_source, raw), p in zip(chunk, done, strict=True)]


def import_many(
    items: Iterable[tuple[str, bytes]],
    *,
    mailbox: Mailbox | None,
    dry: bool,
    memory: DryRunMemory,
    auto_reply: bool = False,
    live: bool = False,
    batch: int = BATCH_MAILS,
    parse_workers: int = 0,
) -> Iterator[tuple[str, Outcome]]:
    """(source, outcome) for every message, committed in transactions of up to `batch` mails.

    An archive is its own raw copy, so the per-mail "raw first" commit is not needed here: each
    batch (raw rows, tickets, messages) commits together or not at all. A crash mid-batch (even
    while reading the archive) loses that uncommitted batch only, and running the import again
    gives the same result (the sha256/Message-ID dedupe skips what was committed). Outcomes are
    yielded after their batch is committed.

    Throughput: while a batch is written, the next one is read and parsed by `parse_workers`
    processes (`kefu mail import` uses `default_parse_workers()`); the lookups that decide a mail
    (repeats, threading) are read once per batch (`inbound.Lookups`), and so are the senders'
    customers (`intake.services.receiving_many`); the search rows, the markers of the (muted)
    events and the mails' final states are written once per batch (`tickets.services.batched`,
    `inbound.deferred_finishes`).
    """
    if dry:
        for source, raw in items:
            yield source, import_one(source, raw, mailbox=mailbox, dry=True, memory=memory)
        return
    pending = iter(items)
    limit = mailbox.max_message_bytes if mailbox else default_limit()
    with _Parsing(parse_workers, limit, parse_seconds()) as parsing:
        chunk, error = _read_chunk(pending, batch)
        if error is not None:
            raise error  # nothing of this batch was written
        future = parsing.submit(chunk)
        while chunk:
            # read (and start parsing) the next batch while this one is written
            following, error = _read_chunk(pending, batch)
            following_future = parsing.submit(following) if error is None else None
            parsed = parsing.results(chunk, future)
            done: list[tuple[str, Outcome]] = []
            with transaction.atomic(), receiving_many(), deferred_finishes():
                # the batch's raw rows first, with one INSERT (an archive is its own raw copy)
                rows = [raw_row(raw, mailbox=mailbox, source=source) for source, raw in chunk]
                if connection.features.can_return_rows_from_bulk_insert:
                    InboundMail.objects.bulk_create(rows, batch_size=50)
                else:
                    for row in rows:
                        row.save(force_insert=True)
                # (live auto-replies write our own Message-IDs mid-batch: those imports look up per mail)
                lookups = (
                    None
                    if live and auto_reply
                    else Lookups.load(
                        mailbox,
                        [
                            (row.sha256, p if isinstance(p, ParsedMail) else None)
                            for row, p in zip(rows, parsed, strict=True)
                        ],
                    )
                )
                prefetch_senders(p.from_email for p in parsed if isinstance(p, ParsedMail) and p.from_email)
                for (source, _raw), row, pre in zip(chunk, rows, parsed, strict=True):
                    outcome = _import_stored(
                        row, parsed=pre, lookups=lookups, auto_reply=auto_reply, live=live
                    )
                    done.append((source, outcome))
                if lookups is not None:
                    # the queued new tickets are written here: as history too, unless live
                    with nullcontext() if live else events.muted():
                        lookups.flush()
            yield from done
            if error is not None:
                raise error  # the batch being read is lost whole; the ones before are committed
            chunk, future = following, following_future
