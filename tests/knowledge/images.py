"""Hostile images made in the test, a few KB each: what decodes to far more than it weighs."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def many_frame_gif(width: int, height: int, frames: int, *, first: tuple[int, int] | None = None) -> bytes:
    """An animated GIF on a `width` × `height` screen whose every frame is one pixel: ~23 bytes
    a frame, while a decoder composes each frame onto the whole canvas. With `first`, the screen
    is that small and each later frame's pixel sits at (`width` - 1, `height` - 1), past the screen
    (a decoder grows the canvas to reach it)."""
    screen = first or (width, height)
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", *screen, 0x80, 0, 0)  # a global colour table of two colours
    out += b"\x00\x00\x00\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for n in range(frames):
        # one white pixel, a step further each frame (or, growing, at the far corner)
        at = (width - 1, height - 1) if (first and n) else (n % width, n // width % height)
        out += b"\x21\xf9\x04\x04\x0a\x00\x00\x00"  # graphic control: 100 ms, keep the frame
        out += b"\x2c" + struct.pack("<HHHHB", *at, 1, 1, 0)
        out += b"\x02\x02\x4c\x01\x00"  # its LZW data; the rest of the canvas stays as it was
    out += b"\x3b"
    return bytes(out)


def _kib(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@contextmanager
def peak_memory() -> Iterator[dict[str, int]]:
    """How far this process's resident memory rose at its peak inside the block, in MB (Linux:
    the peak is reset through /proc/self/clear_refs, then read from VmHWM)."""
    result = {"mb": 0}
    before = _kib("VmRSS")
    _CLEAR_REFS.write_text("5")  # resets the peak (VmHWM) to the current size
    yield result
    result["mb"] = max(0, _kib("VmHWM") - before) // 1024
