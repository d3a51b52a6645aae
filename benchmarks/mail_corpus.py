"""Named MIME parts in the mail corpora: does kefu keep every file a sender attached? (issue 14 item 7)

Every message under ../shared/data/emails-* (SOURCE.md and index.tsv are not messages) is parsed by
`kefu.mail.parsing.parse_stored`, the function the mail pipeline (`mail.inbound`) parses with. The
same bytes are walked independently with the stdlib alone (`BytesParser(policy=policy.default)`,
`msg.walk()`, `part.get_filename()`): every non-multipart part with a file name is a file the sender
attached. A named part counts as kept when one of kefu's attachments holds its exact bytes (each
attachment answers for one part), or when it lies inside an attached mail (message/*) that kefu keeps
whole as an .eml (the file is in there, downloadable with it).

Prints the number of messages, named parts, attachments kefu keeps, and each message that loses a
named part with its path and the lost parts' names and types; also the kept parts whose name kefu
shows differently from the stdlib's decoded name (after `clean_filename`, which makes it safe).

    python benchmarks/mail_corpus.py              # ../shared/data (or /work/shared/data)
    python benchmarks/mail_corpus.py --data DIR   # another folder holding emails-*/
"""

# ruff: noqa: E402  (the path fix below must run before the other imports)
from __future__ import annotations

import sys

sys.path[:] = [p for p in sys.path if p not in ("", __file__.rpartition("/")[0])]

import argparse
import hashlib
import time
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

from kefu.core.filenames import clean_filename
from kefu.mail.parsing import parse_stored

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")
NOT_MESSAGES = {"SOURCE.md", "index.tsv"}


def messages(data: Path) -> list[Path]:
    return sorted(
        p
        for d in sorted(data.glob("emails-*"))
        for p in d.rglob("*")
        if p.is_file() and p.name not in NOT_MESSAGES
    )


def named_parts(raw: bytes) -> list[tuple[str, str, bytes | None, bool]]:
    """(name, content type, decoded bytes (None: an attached mail), inside an attached mail) of
    every named part."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    inside: set[int] = set()  # the parts of attached mails (msg.walk() goes into them too)
    out = []
    for part in msg.walk():
        if part.get_content_type().startswith("message/") and part.is_multipart():
            inside.update(id(sub) for sub in part.walk() if sub is not part)
            if part.get_filename():  # a named attached mail: kefu keeps it whole (re-serialised)
                out.append((str(part.get_filename()), part.get_content_type(), None, id(part) in inside))
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                data = b""
            out.append((str(name), part.get_content_type(), data, id(part) in inside))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    paths = messages(args.data)
    named = kept_whole = attachments = text_in_body = 0
    losing: list[tuple[Path, list[tuple[str, str]]]] = []
    renamed: list[tuple[Path, str, str]] = []
    started = time.perf_counter()
    for path in paths:
        raw = path.read_bytes()
        parsed = parse_stored(raw)  # what mail.inbound parses a stored mail with
        attachments += len(parsed.attachments)
        by_sha: dict[str, list[str]] = {}
        for attachment in parsed.attachments:
            if not attachment.content_type.startswith("message/"):
                by_sha.setdefault(attachment.sha256, []).append(attachment.name)
        mails = [a.name for a in parsed.attachments if a.content_type.startswith("message/")]
        has_mail = bool(mails)
        lost = []
        for name, ctype, data, inside in named_parts(raw):
            named += 1
            if inside and has_mail:
                kept_whole += 1  # in an attached mail kept whole as an .eml
                continue
            # kefu folds whitespace in header values (a newline in a name is shown as a space)
            expected = clean_filename(" ".join(name.split()))
            stem = expected.rpartition(".")[0] or expected
            if ctype == "message/rfc822" and not expected.lower().endswith(".eml"):
                expected += ".eml"
            if data is None:  # an attached mail: kefu's bytes are its own serialisation
                names = [expected] if expected in mails else mails
            else:
                names = by_sha.get(hashlib.sha256(data).hexdigest()) or []
            if not names:
                lost.append((name, ctype))
                continue
            shown = names[0]
            (mails if data is None else names).remove(shown)
            if shown != expected and not shown.startswith(stem + "-"):  # "-2": a repeated name
                renamed.append((path, expected, shown))
            if ctype == "text/plain" and data and data.decode("utf-8", "replace").strip()[:40] in parsed.text:
                text_in_body += 1
        if lost:
            losing.append((path, lost))
    seconds = time.perf_counter() - started
    print(f"corpus: {args.data}/emails-*  ({seconds:.1f} s)")
    print(f"messages:                              {len(paths)}")
    print(f"named parts (stdlib msg.walk()):       {named}")
    print(f"  of which inside an attached mail:    {kept_whole} (kept in its .eml)")
    print(f"attachments kefu keeps:                {attachments}")
    print(f"named text/plain parts also in a body: {text_in_body}")
    print(f"messages losing a named part:          {len(losing)}")
    for path, lost in losing:
        print(f"  {path.relative_to(args.data)}: " + ", ".join(f"{n!r} ({t})" for n, t in lost))
    counts = Counter(t for _p, lost in losing for _n, t in lost)
    if counts:
        print("  named parts lost, by type: " + ", ".join(f"{t} {c}" for t, c in counts.most_common()))
    print(f"kept under another name than the stdlib's (cleaned): {len(renamed)}")
    for path, expected, shown in renamed:
        print(f"  {path.relative_to(args.data)}: {expected!r} shown as {shown!r}")


if __name__ == "__main__":
    main()
