"""Progress of long commands (`kefu up`, `kefu demo`): one line per step, with the time it took.

    migrate … 2.4 s
    demo: 500 tickets … 230/500          (a terminal sees the count move; a log gets one line)

The step's name is written when it starts, so a slow step says what it is doing; its time ends the
line. Without an output (`Steps(None)`) nothing is written and the steps are only timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Steps:
    def __init__(self, out: Any | None, *, indent: str = "  "):
        self.out = out
        self.indent = indent
        self.times: dict[str, float] = {}
        self.tty = bool(out is not None and getattr(_raw(out), "isatty", lambda: False)())

    def _write(self, text: str) -> None:
        if self.out is None:
            return
        raw = _raw(self.out)
        raw.write(text)
        raw.flush()

    def line(self, text: str) -> None:
        self._write(f"{self.indent}{text}\n")

    @contextmanager
    def step(self, name: str, *, live: bool = True) -> Iterator[Callable[[int, int], None]]:
        """Time one step; the callable it yields reports `done` of `total` (shown on a terminal).

        `live=False` writes the whole line at the end (a step running while other processes write)."""
        head = f"{self.indent}{name} … "
        live = live and self.out is not None
        if live:
            self._write(head)
        started = time.perf_counter()
        shown = [0.0]

        def advance(done: int, total: int) -> None:
            if live and self.tty and time.perf_counter() - shown[0] > 0.2:
                shown[0] = time.perf_counter()
                self._write(f"\r{head}{done}/{total}")

        yield advance
        took = time.perf_counter() - started
        self.times[name] = took
        if not live:
            self._write(f"{head}{took:.1f} s\n")
        elif self.tty:
            self._write(f"\r{head}{took:.1f} s\x1b[K\n")
        else:
            self._write(f"{took:.1f} s\n")


def _raw(out: Any) -> Any:
    """The text stream under Django's OutputWrapper (which would end every write with a newline)."""
    return getattr(out, "_out", out)
