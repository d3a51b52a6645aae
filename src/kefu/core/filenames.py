"""File names people send: kept as given for display and download, never used as a storage path.

One function cleans a name for every door (ticket uploads, the portal, the contact form, mail):
it removes only what is dangerous — the path, control and bidi characters (the RTL-override
`gpj.exe` trick), NUL, lone surrogates, characters Windows cannot save — and caps the length;
Chinese, spaces and full-width punctuation stay exactly as they were. Files are stored under a
generated key (content hash + a plain ASCII extension), so the name never reaches the disk.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 200  # characters, extension included
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# C0/C1 controls (NUL, tab, line feeds…), DEL, line/paragraph separators, bidi controls,
# lone surrogates (not valid UTF-8), and what Windows refuses in a file name.
_UNSAFE_RE = re.compile(rf"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff:*?\"<>|]")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
_STORAGE_EXT_RE = re.compile(r"\.([A-Za-z0-9]{1,10})$")
_ASCII_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._()\- ]+")


def clean_filename(name: str, *, fallback: str = "attachment") -> str:
    """The name to show and to download under: no path, no control or bidi characters, no NUL,
    not a Windows device name, at most MAX_NAME characters (the extension kept). Applying it
    twice changes nothing."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # "../../etc/passwd", "..\\x", "C:\\x", "/etc/x"
    name = _UNSAFE_RE.sub("_", name).strip(" .")
    if not name or set(name) <= {"_", ".", " "}:
        name = fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 20:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME].rstrip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        name = ("_" + name)[:MAX_NAME]
    return name


def storage_name(name: str, digest: str) -> str:
    """The file's name on disk: its content hash and a plain ASCII extension (nothing of the
    sender's name but that), e.g. `3f9a…e1.pdf`."""
    match = _STORAGE_EXT_RE.search(name or "")
    return digest[:64] + ("." + match.group(1).lower() if match else "")


def ascii_filename(name: str, *, fallback: str = "attachment") -> str:
    """An ASCII stand-in for clients that ignore `filename*`: accents dropped, other letters
    dropped, the extension kept (`中文 文件名（发票）.pdf` → `attachment.pdf`)."""

    def ascii_only(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return " ".join(_ASCII_UNSAFE_RE.sub("", text).split()).strip(" .")

    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ascii_only(ext) if re.fullmatch(r"[A-Za-z0-9]{1,10}", ext) else ""
    stem = ascii_only(stem)
    if not any(ch.isalnum() for ch in stem):
        stem = fallback
    return stem + ("." + ext if ext else "")


def content_disposition(name: str, *, inline: bool = False) -> str:
    """`Content-Disposition` for a download under this (clean) name: an ASCII `filename` for old
    clients and, when that is not the exact name, the exact one as RFC 5987 `filename*`."""
    kind = "inline" if inline else "attachment"
    plain = ascii_filename(name)
    header = f'{kind}; filename="{plain}"'
    if plain != name:
        header += "; filename*=UTF-8''" + quote(name, safe="")
    return header
