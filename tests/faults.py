"""The fault catalogue (FAULTS.md, kept beside the repository) mapped to the tests that cover it.

A test names the cases it covers with `@pytest.mark.fault("E4", "B1")` (or a module's
`pytestmark`). `python -m tests.faults` writes docs/faults.md from those markers and the notes
below; tests/core/test_fault_table.py fails when the table is out of date, when a marker names a
case that does not exist, or when a case is neither covered by a test nor explained here.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "faults.md"

CASES = {
    "E1": "Auto-replies / bulk / loop mail stored, never answered",
    "E2": "Mail loops: per-sender cap, own mail, outbound caps, Auto-Submitted",
    "E3": "DSN bounce threaded, recipient flagged, no reply to MAILER-DAEMON",
    "E4": "Same mail twice / worker killed around commit: exactly one ticket",
    "E5": "Threading by In-Reply-To; subject token only for its customer; identity from From",
    "E6": "Malformed MIME: the poller never dies; quarantine with the raw mail; reprocess",
    "E7": "Oversized mail: SMTP 552 at DATA, IMAP size pre-check, one bounce",
    "E8": "Chinese and other charsets decoded exactly; unknown guessed with a defect",
    "E9": "Hostile HTML mail sanitised; remote images blocked; subject/name escaped",
    "C1": "Chat: foreign subscription / Origin / forged widget token refused",
    "C2": "Chat: customer socket frames never carry private notes or others' data",
    "C3": "Chat: client_message_id dedupe, since-cursor catch-up, re-identified widget",
    "C4": "Chat: 1 MB frame, 200 msg/s, 5 000 idle sockets",
    "A1": "Schema fuzz and bad input: 4xx with a field, never 5xx or DB text",
    "A2": "Authorization matrix: 404 for foreign objects, immediate role downgrade",
    "A3": "Idempotency-Key replay, conflict, concurrency; duplicate window without a key",
    "A4": "Rate limits: 429 + Retry-After + RateLimit-*, others unaffected",
    "A5": "Webhook SSRF: refused at save and at send, pinned IP, no redirects",
    "A6": "Webhook delivery: outbox retries, HMAC, stable id, circuit breaker",
    "U1": "Stored XSS across roles rendered inert; CSP as a second line",
    "U2": "CSRF, framing, no GET side effects, deploy check",
    "F1": "Attachments of others: 404; access re-checked on every fetch",
    "F2": "Dangerous file types served as sandboxed downloads; previews only re-encoded",
    "F3": "Hostile file names: generated storage key, sanitised display, RFC 5987",
    "F4": "Upload limits: 101 files, oversize, decompression bombs",
    "F5": "Virus scanning: EICAR quarantined, scanner down → 'scan pending'",
    "X1": "Login / reset enumeration and throttling",
    "X2": "One-time links, short TTL, sessions and tokens revoked, tokens hashed",
    "X3": "Portal needs a login or one-time link; forged VIP From quarantined",
    "X4": "Client-sent proxy headers ignored for auth, limits and audit IP",
    "B1": "Worker killed mid-task: outbox survives, lease sweep, effect once, on_commit",
    "B2": "PostgreSQL restart under load: brief friendly 503, nothing half-written",
    "B3": "Redis outage: HTTP keeps working from the DB outbox, backlog drains",
    "B4": "Outbound SMTP down / 4xx / 5xx / ambiguous timeout",
    "B5": "Periodic jobs once per slot across workers; IMAP poll never concurrent",
    "D1": "Concurrent edits: one wins, 409 / conflict banner, one reply, no 'database is locked'",
    "D2": "No cross-customer / cross-department leaks via search, bot, export",
    "D3": "CSV/XLSX formula injection neutralised; exports audited",
    "D4": "PIPL/GDPR export and resumable deletion of one customer",
    "D5": "Upgrade with data on SQLite/PostgreSQL; backup → wipe → restore",
}

# What the tests do not cover yet, said plainly. A case with no test must have a note here.
NOTES: dict[str, str] = {
    "E4": "Kills are simulated (an exception before or after the commit), not a SIGKILL of a real "
    "poller; 'two aliases' is one mailbox reached at two addresses.",
    "C1": "Not yet: kefu has no chat channel or websocket consumer (issue 18 brings them, with C1–C4).",
    "C2": "Not yet: no chat channel (issue 18).",
    "C3": "Not yet: no chat channel (issue 18).",
    "C4": "Not yet: no chat channel (issue 18).",
    "A2": "The full persona × endpoint sweep covers the ticket endpoints; the knowledge, routing, SLA "
    "and automation endpoints are checked per role in their own tests, not swept.",
    "U1": "Payloads are checked in the server's HTML and by the CSP header; no Playwright sweep yet "
    "that stores a payload in every field and watches for a dialog or a request to the attacker.",
    "F1": "Every download re-checks access (there are no signed URLs to reuse); no test re-fetches "
    "right after a role downgrade or a move to another team.",
    "F2": "A file whose extension contradicts its magic bytes is served safely but not shown with a "
    "warning yet.",
    "F4": "No disk quota yet.",
    "F5": "Not yet: kefu has no malware scanning (no clamd); no open issue brings it.",
    "X1": "The timing class of known and unknown addresses is not measured.",
    "X4": "The audit IP of an export is not checked against a forged header.",
    "B1": "Kills are simulated (exceptions, expired leases); a SIGKILL of a real worker mid-task comes "
    "with the multi-process test of issue 23.",
    "B2": "Not yet: a PostgreSQL restart under load needs the multi-process setup of issue 23.",
    "B3": "Not yet: a Redis outage needs the multi-process setup of issue 23 (Redis is used only when "
    "KEFU_REDIS_URL is set).",
    "B5": "Concurrency is threads in one process, not three worker processes; no clock-jump test; "
    "the 10:00/16:00 department digests come with issue 19.",
    "D1": "The concurrent-writers browser test runs on SQLite only.",
    "D2": "Analytics drill-down and department tasks do not exist yet (issues 17 and 19).",
    "D4": "Export and erasure cover the profile, identities, notes, tags, orders, tickets, messages, "
    "attachments, the portal login and the search index; intake's raw inbound payloads and the mail "
    "app's stored .eml files are not erased yet, and the halfway kill is simulated (stop_after).",
    "D5": "The upgrade of a data migration is tested (routing working days); `kefu backup` and "
    "`kefu restore` come with issue 23.",
}


def _mark_ids(node: ast.expr) -> list[str]:
    """The ids of `pytest.mark.fault("E1", …)` (also inside a list for `pytestmark`)."""
    if isinstance(node, ast.List | ast.Tuple):
        return [i for item in node.elts for i in _mark_ids(item)]
    if not isinstance(node, ast.Call):
        return []
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "fault":
        return [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return []


def collect(root: Path = ROOT / "tests") -> dict[str, list[str]]:
    """case id → test node ids (`tests/…/test_x.py::test_y`, classes as `Class::test_y`)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_ids = [
            i
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
            for i in _mark_ids(node.value)
        ]
        rel = (path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.relative_to(root)).as_posix()

        def visit(body, prefix="", inherited=(), rel=rel):
            for node in body:
                if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                    ids = [i for d in node.decorator_list for i in _mark_ids(d)]
                    visit(node.body, f"{prefix}{node.name}::", (*inherited, *ids), rel)
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                    "test"
                ):
                    ids = {*inherited, *(i for d in node.decorator_list for i in _mark_ids(d))}
                    for case in ids:
                        found[case].append(f"{rel}::{prefix}{node.name}")

        visit(tree.body, inherited=tuple(module_ids))
    return {case: sorted(set(tests)) for case, tests in found.items()}


def unknown_ids(found: dict[str, list[str]]) -> list[str]:
    return sorted(set(found) - set(CASES))


def render(found: dict[str, list[str]]) -> str:
    lines = [
        "# Fault cases and the tests that cover them",
        "",
        "Generated by `python -m tests.faults` from the `@pytest.mark.fault(...)` markers of the tests",
        "and the notes in `tests/faults.py`; `tests/core/test_fault_table.py` fails when it is out of",
        "date. The cases are those of FAULTS.md (kept beside the repository, `../shared/FAULTS.md`).",
        "",
    ]
    covered = sum(1 for c in CASES if found.get(c) and c not in NOTES)
    partly = sum(1 for c in CASES if found.get(c) and c in NOTES)
    none = sum(1 for c in CASES if not found.get(c))
    lines += [
        f"{covered} covered, {partly} covered in part (what is missing is said), {none} without a test yet "
        "(why is said).",
        "",
        "| case | what | tests | not covered yet |",
        "|---|---|---|---|",
    ]
    for case, title in CASES.items():
        tests = found.get(case, [])
        cell = "<br>".join(f"`{t}`" for t in tests) or "—"
        note = NOTES.get(case, "")
        lines.append(f"| {case} | {title} | {cell} | {note} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    found = collect()
    bad = unknown_ids(found)
    if bad:
        print(f"markers name cases that FAULTS.md does not have: {bad}", file=sys.stderr)
        return 1
    TABLE.write_text(render(found), encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}: {sum(map(len, found.values()))} markers over {len(found)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
