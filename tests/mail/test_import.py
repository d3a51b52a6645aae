"""`kefu mail import`: eml / mbox / Maildir, the JSON line format, and the real-mail corpus."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import mailbox as mailboxes
import os
import signal
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from kefu.core import events
from kefu.core.models import EventHandlerRun
from kefu.core.sanitize import clean_html, html_from_text
from kefu.customers.models import Customer
from kefu.mail import parsing
from kefu.mail.importing import POOL_MIN, _Parsing, import_many, messages
from kefu.mail.inbound import DryRunMemory, ingest
from kefu.mail.models import InboundMail, OutboxMail
from kefu.mail.parsing import decode_bytes, parse, parse_many, text_from_html
from kefu.tickets import search
from kefu.tickets import services as tickets
from kefu.tickets.models import Message, Ticket, TicketEvent
from kefu.tickets.services import conversation

from .mails import raw_mail

pytestmark = pytest.mark.django_db
CORPUS = sorted(
    p
    for p in glob.glob(
        str(Path(__file__).resolve().parents[3] / "shared" / "data" / "emails-*" / "**"), recursive=True
    )
    + glob.glob("/work/shared/data/emails-*/**", recursive=True)
    if os.path.isfile(p) and not p.endswith(("SOURCE.md", "index.tsv", "README.md"))
)
CORPUS = sorted(set(CORPUS))


def run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("mail", "import", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


@pytest.mark.fault("E1")
def test_dry_run_json_lines_for_eml_mbox_and_maildir_write_nothing(tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(raw_mail(message_id="<a@example.cn>"))
    box = mailboxes.mbox(str(tmp_path / "archive.mbox"))
    box.add(raw_mail(message_id="<b@example.cn>", subject="第二封"))
    box.add(raw_mail(message_id="<a@example.cn>"))  # the same mail again → duplicate
    box.flush()
    maildir = mailboxes.Maildir(str(tmp_path / "Maildir"))
    maildir.add(raw_mail(message_id="<c@example.cn>", subject="第三封", extra="Auto-Submitted: auto-replied"))
    lines = run("--dry-run", "--json", str(eml), str(tmp_path / "archive.mbox"), str(tmp_path / "Maildir"))
    assert [line["source"] for line in lines] == [
        str(eml),
        *[str(tmp_path / "archive.mbox")] * 2,
        str(tmp_path / "Maildir"),
    ]
    assert [line["decision"] for line in lines] == [
        "new_ticket",
        "new_ticket",
        "duplicate",
        "auto_reply_suppressed",
    ]
    first = lines[0]
    assert set(first) == {"source", "from", "subject", "text_chars", "attachments", "decision", "reason"}
    assert (
        first["from"] == "xiaoming@example.cn"
        and first["subject"] == "订单 8899 还没发货"
        and first["text_chars"] > 10
    )
    assert not InboundMail.objects.exists() and not Ticket.objects.exists()


@pytest.mark.fault("E4")
def test_import_writes_once_and_sends_no_auto_replies(tmp_path, mailbox):
    path = tmp_path / "archive.mbox"
    box = mailboxes.mbox(str(path))
    for i in range(3):
        box.add(raw_mail(message_id=f"<m{i}@example.cn>", subject=f"问题 {i}"))
    box.flush()
    out = io.StringIO()
    call_command("mail", "import", "--mailbox", mailbox.address, str(path), stdout=out)
    assert "3 messages (new_ticket: 3)" in out.getvalue()
    call_command("mail", "import", "--mailbox", mailbox.address, str(path), stdout=out)
    assert Ticket.objects.count() == 3 and not OutboxMail.objects.exists()
    assert InboundMail.objects.filter(decision="duplicate").count() == 3


def _leaves(msg):
    if msg.get_content_type().startswith("message/"):
        yield msg
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        if isinstance(payload, list):
            for part in payload:
                yield from _leaves(part)
        return
    yield msg


def _squash(text: str) -> str:
    return "".join(text.replace("\x00", "").split())


@pytest.mark.fault("E6", "E8")
@pytest.mark.skipif(not CORPUS, reason="the shared mail corpus is not on this machine")
def test_corpus_every_message_dry_run_no_exception_nothing_lost():
    lines = run("--dry-run", "--json", *CORPUS)
    by_source: dict[str, list[dict]] = {}
    for line in lines:
        by_source.setdefault(line["source"], []).append(line)
    assert set(by_source) == set(CORPUS)
    lost = []
    checked_parts = 0
    for path in CORPUS:
        for (_source, raw), line in zip(messages(path), by_source[path], strict=True):
            assert line["decision"] in {
                "new_ticket",
                "follow_up",
                "bounce",
                "auto_reply_suppressed",
                "duplicate",
                "quarantined",
            }
            try:
                msg = BytesParser(policy=policy.default).parsebytes(raw)
                leaves = list(_leaves(msg))
            except RecursionError:
                continue  # stdlib itself cannot walk it; the importer's own fallback handled it above
            ours = parse(raw)
            text = _squash(ours.text)
            digests = {a["sha256"] for a in line["attachments"]}
            for part in leaves:
                checked_parts += 1
                ctype = part.get_content_type()
                try:
                    data = part.get_payload(decode=True) or b""
                except Exception:
                    data = b""
                if ctype.startswith("multipart/"):  # a broken multipart: its body must be kept as text
                    sample = _squash(
                        decode_bytes(data or part.get_payload().encode("utf-8", "surrogateescape"), None)
                    )[:40]
                    if sample not in text:
                        lost.append((path, ctype, sample))
                elif ctype in ("text/plain", "text/html") and part.get_content_disposition() != "attachment":
                    piece = decode_bytes(data, part.get_content_charset())
                    if ctype == "text/html":
                        piece = text_from_html(piece)
                        if ours.html and _squash(piece)[:40] not in text:
                            continue  # the HTML alternative of a plain part: kept as sanitised HTML
                    sample = _squash(piece)[:40]
                    if sample and sample not in text and hashlib.sha256(data).hexdigest() not in digests:
                        lost.append((path, ctype, sample))
                elif ctype.startswith("message/"):
                    if not any(
                        a["name"].endswith((".eml", ".txt")) and a["size"] for a in line["attachments"]
                    ):
                        lost.append((path, ctype, "attached message"))
                elif data and hashlib.sha256(data).hexdigest() not in digests:
                    lost.append((path, ctype, part.get_filename()))
    assert checked_parts > 1000
    for item in lost:
        print("LOST", item)
    assert lost == []


@pytest.mark.fault("E4", "B1")
def test_batched_import_crash_mid_batch_loses_nothing_and_rerun_gives_the_same_result(tmp_path, mailbox):
    mails = [
        (f"archive:{i}", raw_mail(message_id=f"<batch{i}@example.cn>", subject=f"批次 {i}")) for i in range(5)
    ]

    def archive_that_breaks_after(n):
        for i, item in enumerate(mails):
            if i == n:
                raise OSError("the archive disk went away")
            yield item

    memory = DryRunMemory()
    done = []
    with pytest.raises(OSError):
        for source, outcome in import_many(
            archive_that_breaks_after(4), mailbox=mailbox, dry=False, memory=memory, batch=3
        ):
            done.append((source, outcome.decision))
    # the first batch (3 mails) is committed; the 4th mail was in the broken batch: rolled back whole
    assert done == [(f"archive:{i}", "new_ticket") for i in range(3)]
    assert Ticket.objects.count() == 3 and InboundMail.objects.count() == 3
    again = [
        outcome.decision
        for _source, outcome in import_many(mails, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=3)
    ]
    assert again == ["duplicate"] * 3 + ["new_ticket"] * 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [f"批次 {i}" for i in range(5)]
    assert InboundMail.objects.filter(state="processed").count() == 5


def test_import_in_batches_gives_the_same_tickets_as_one_by_one(tmp_path, mailbox):
    path = tmp_path / "archive.mbox"
    box = mailboxes.mbox(str(path))
    first = raw_mail(message_id="<t0@example.cn>", subject="第一封")
    box.add(first)
    box.add(raw_mail(message_id="<t1@example.cn>", subject="Re: 第一封", in_reply_to="<t0@example.cn>"))
    box.add(first)  # the same mail again, inside the same batch
    box.add(raw_mail(message_id="<t2@example.cn>", subject="第二封"))
    box.flush()
    lines = run("--json", "--batch", "2", "--mailbox", mailbox.address, str(path))
    assert [line["decision"] for line in lines] == ["new_ticket", "follow_up", "duplicate", "new_ticket"]
    assert Ticket.objects.count() == 2
    assert Ticket.objects.get(subject="第一封").messages.count() == 2


# --------------------------------------------------------------------------- throughput (issue 3)
#
# The import parses the next batch in a worker process, reads decide()'s lookups once per batch and
# writes the search rows and the muted-event markers once per batch. None of that may change what
# is stored.


def _matches(words: str) -> set[int]:
    query = search.parse(words, include_internal=True)
    assert query is not None
    return set(search.recent_matches(query, before=None, limit=1000))


@pytest.mark.skipif(not CORPUS, reason="the shared mail corpus is not on this machine")
def test_parsing_in_a_worker_process_gives_the_same_mails_as_parsing_here():
    raws = [Path(p).read_bytes() for p in CORPUS if p.endswith(".eml")][: POOL_MIN + 8]
    chunk = [(f"corpus:{i}", raw) for i, raw in enumerate(raws)]
    with _Parsing(1, 25 * 1024 * 1024) as parsing:
        future = parsing.submit(chunk)
        assert future is not None  # a real second process
        assert parsing.results(chunk, future) == parse_many(raws)


def test_import_with_a_parsing_process_gives_each_mail_once_with_its_search_rows_and_markers(mailbox):
    originals = [
        (f"archive:{i}", raw_mail(message_id=f"<p{i}@example.cn>", subject=f"发票抬头 {i}"))
        for i in range(40)
    ]
    replies = [
        (
            f"archive:re{i}",
            raw_mail(
                message_id=f"<r{i}@example.cn>",
                subject=f"Re: 发票抬头 {i}",
                body=f"补充：税号 91330{i:04d} 快递单号 SF{i:06d}",
                in_reply_to=f"<p{i}@example.cn>",
            ),
        )
        for i in range(0, 40, 4)
    ]
    items = originals[:35] + replies[:5] + originals[35:] + replies[5:] + originals[:3]  # 3 repeats
    outcomes = list(
        import_many(
            items, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=POOL_MIN + 2, parse_workers=1
        )
    )
    assert [source for source, _ in outcomes] == [source for source, _ in items]
    assert [o.decision for _, o in outcomes] == ["new_ticket"] * 35 + ["follow_up"] * 5 + [
        "new_ticket"
    ] * 5 + ["follow_up"] * 5 + ["duplicate"] * 3
    assert Ticket.objects.count() == 40 and Message.objects.count() == 50
    assert InboundMail.objects.count() == 53 and InboundMail.objects.filter(state="processed").count() == 50
    # the search rows hold every message, the follow-ups too (indexed once, at the end of a batch)
    ticket = Ticket.objects.get(subject="发票抬头 36")
    assert _matches("SF000036") == {ticket.pk} and _matches("发票抬头") >= set(
        Ticket.objects.values_list("pk", flat=True)
    )
    # archive history: every event is marked muted, so nothing reacts to it (no routing, SLA, replies)
    marked = set(EventHandlerRun.objects.filter(handler=events.MUTED).values_list("event_id", flat=True))
    assert marked == set(TicketEvent.objects.values_list("pk", flat=True)) and len(marked) >= 50


def test_batched_writes_skip_what_a_savepoint_rolled_back(mailbox):
    """A mail whose writes roll back inside a batch leaves no search row and no muted marker, even
    when its ticket and event ids are given again to later rows."""
    with transaction.atomic(), tickets.batched(), events.muted():
        kept = ingest(
            raw_mail(message_id="<kept@example.cn>", subject="保留的工单"),
            mailbox=mailbox,
            source="t",
            auto_reply=False,
            loop_check=False,
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            ingest(
                raw_mail(message_id="<gone@example.cn>", subject="撤销的工单"),
                mailbox=mailbox,
                source="t",
                auto_reply=False,
                loop_check=False,
            )
            raise RuntimeError("rolled back")
    kept_events = set(TicketEvent.objects.values_list("pk", flat=True))
    assert set(EventHandlerRun.objects.values_list("event_id", flat=True)) == kept_events
    assert _matches("保留的工单") == {kept.ticket_id} and not _matches("撤销的工单")
    # a live mail after the batch: its event is not mistaken for muted history
    live = ingest(raw_mail(message_id="<live@example.cn>", subject="退款申请"), mailbox=mailbox, source="t")
    live_events = TicketEvent.objects.filter(ticket_id=live.ticket_id)
    assert live_events.exists()
    assert not EventHandlerRun.objects.filter(
        event_id__in=live_events.values("pk"), handler=events.MUTED
    ).exists()
    assert _matches("退款申请") == {live.ticket_id}


@pytest.mark.fault("E6")
def test_a_failing_mail_in_a_batch_is_quarantined_and_the_next_mail_of_its_new_sender_still_works(
    mailbox, monkeypatch
):
    """Rollback safety inside a batch: the failing mail's writes (its new customer included) roll
    back, it is quarantined with its reason, and the batch's caches do not hand the rolled-back
    customer to the sender's next mail."""
    real = conversation.find_order_ref

    def flaky(text):
        if text.startswith("会失败的邮件"):
            raise RuntimeError("attachment store is full")
        return real(text)

    # (read by every way of opening a ticket: the batch's bulk write fails, then each mail alone)
    monkeypatch.setattr(conversation, "find_order_ref", flaky)
    newcomer = "新客户 <first@newcomer.cn>"
    items = [
        ("a:0", raw_mail(message_id="<f0@example.cn>", subject="会失败的邮件", sender=newcomer)),
        ("a:1", raw_mail(message_id="<f1@example.cn>", subject="第二封", sender=newcomer)),
        ("a:2", raw_mail(message_id="<f2@example.cn>", subject="第三封")),
    ]
    outcomes = [
        o for _s, o in import_many(items, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=10)
    ]
    assert [o.decision for o in outcomes] == ["quarantined", "new_ticket", "new_ticket"]
    failed = InboundMail.objects.get(message_id="f0@example.cn")
    assert failed.state == "quarantined" and failed.ticket_id is None
    assert "RuntimeError: attachment store is full" in failed.reason == outcomes[0].reason
    customer = Customer.objects.get(email="first@newcomer.cn")
    second = InboundMail.objects.get(message_id="f1@example.cn")
    assert second.state == "processed" and second.ticket_id == outcomes[1].ticket_id
    assert Ticket.objects.get(pk=second.ticket_id).customer_id == customer.pk
    assert Ticket.objects.count() == 2 and Customer.objects.filter(email="first@newcomer.cn").count() == 1


@pytest.mark.fault("E9")
def test_a_mail_html_is_sanitised_once_for_its_ticket_as_the_two_passes_did_before(mailbox):
    html = (
        '<div><font color="red">加急</font><center>订单 8899</center><table><tr>'
        '<td align="left">未发货</td></tr></table><img src="https://tracker.example/p.gif" title="t">'
        "<script>alert(1)</script></div>"
    )
    raw = (
        "From: a@example.cn\r\nTo: service@yunshan.example\r\nSubject: html\r\nMessage-ID: <h1@example.cn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    outcome = ingest(raw, mailbox=mailbox, source="t", auto_reply=False, loop_check=False)
    stored = Message.objects.get(ticket_id=outcome.ticket_id).body_html
    assert stored == clean_html(parse(raw).html)  # what open_ticket made of the parser's HTML before
    assert "<font" not in stored and "<center" not in stored and "script" not in stored
    assert "加急" in stored and "未发货" in stored and "tracker.example" not in stored
    # the original mail, as shown to an agent, keeps the parser's wider allow-list
    assert "<center>" in parse(raw).html


@pytest.mark.fault("E6")
def test_a_mail_that_takes_too_long_to_parse_is_quarantined_and_the_import_goes_on(
    mailbox, settings, monkeypatch
):
    settings.KEFU_MAIL_PARSE_SECONDS = 0.3
    real = parsing.parse

    def parse_forever_on_the_bad_one(raw, **kwargs):
        if b"X-Test: pathological" in raw:
            while True:  # stands in for a mail the parser would chew on for hours
                pass
        return real(raw, **kwargs)

    monkeypatch.setattr(parsing, "parse", parse_forever_on_the_bad_one)
    items = [
        ("a:0", raw_mail(message_id="<slow@example.cn>", extra="X-Test: pathological")),
        ("a:1", raw_mail(message_id="<fine@example.cn>", subject="正常的邮件")),
    ]
    started = time.monotonic()
    outcomes = [
        o for _s, o in import_many(items, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=10)
    ]
    assert [o.decision for o in outcomes] == ["quarantined", "new_ticket"]
    slow = InboundMail.objects.get(message_id="slow@example.cn")
    assert slow.state == "quarantined" and slow.reason == "parse timeout: more than 0.3 s"
    # the single-mail path (IMAP, SMTP receiver) has the same limit
    single = ingest(
        raw_mail(message_id="<slow2@example.cn>", extra="X-Test: pathological"),
        mailbox=mailbox,
        source="smtp",
    )
    assert single.decision == "quarantined" and single.reason.startswith("parse timeout")
    assert time.monotonic() - started < 10
    assert Ticket.objects.get().subject == "正常的邮件"


def test_a_plain_text_mail_shows_the_html_the_writer_used_to_make_now_made_by_the_parser(mailbox):
    plain = raw_mail(
        message_id="<p1@example.cn>", body='第一行\n第二行 <b>不是标签</b>\n\n第二段 & 符号 "引号"'
    )
    quoted = raw_mail(
        message_id="<p2@example.cn>",
        subject="Re: 发票",
        body="好的，谢谢。\n\n在 2026年11月22日 周一 客服 写道：\n> 请提供税号\n> 谢谢",
    )
    for raw in (plain, quoted):
        ingest(raw, mailbox=mailbox, source="t", auto_reply=False, loop_check=False)
    first = Message.objects.get(external_id__endswith="p1@example.cn")
    assert first.body_html == html_from_text(first.body_text)  # what open_ticket made of it before
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in first.body_html and "<b>" not in first.body_html
    second = Message.objects.get(external_id__endswith="p2@example.cn")
    assert second.body_text == "好的，谢谢。"  # the new text; the message keeps the quoted history
    assert second.body_html == html_from_text(parse(quoted).text) and "请提供税号" in second.body_html


def test_new_tickets_of_a_batch_written_together_keep_replies_repeats_followers_and_rejections(mailbox):
    """An import batch writes its new tickets together (one INSERT per table): a reply to one of
    them later in the batch still lands on it, a repeat of one is still a duplicate, its CC is a
    follower, a rejected attachment is logged after its ticket's "created", and rows keep the
    order of the mails."""
    exe = (
        "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n请看附件\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=setup.exe\r\n\r\nMZ\r\n--B--\r\n"
    )
    first = raw_mail(message_id="<q0@example.cn>", subject="批量 0", cc="同事 <colleague@example.cn>")
    items = [
        ("a:0", first),
        ("a:1", raw_mail(message_id="<q1@example.cn>", subject="批量 1")),
        ("a:2", raw_mail(message_id="<q2@example.cn>", subject="批量 2", in_reply_to="<q0@example.cn>")),
        ("a:3", first),  # the same mail again
        ("a:4", b"From: li@example.cn\r\nSubject: exe\r\nMessage-ID: <q4@example.cn>\r\n" + exe.encode()),
        ("a:5", raw_mail(message_id="<q5@example.cn>", subject="批量 5")),
    ]
    outcomes = [
        o for _s, o in import_many(items, mailbox=mailbox, dry=False, memory=DryRunMemory(), batch=10)
    ]
    assert [o.decision for o in outcomes] == [
        "new_ticket",
        "new_ticket",
        "follow_up",
        "duplicate",
        "new_ticket",
        "new_ticket",
    ]
    assert not any(o.queued for o in outcomes)
    tickets_in_order = list(Ticket.objects.order_by("pk").values_list("subject", flat=True))
    assert tickets_in_order == ["批量 0", "批量 1", "exe", "批量 5"]
    opened = Ticket.objects.get(subject="批量 0")
    assert outcomes[0].ticket_id == outcomes[2].ticket_id == opened.pk
    assert [m.ticket_id for m in Message.objects.order_by("pk")] == [
        o.ticket_id for o in outcomes if o.decision != "duplicate"
    ]
    assert list(opened.mail_followers.values_list("email", flat=True)) == ["colleague@example.cn"]
    exe_ticket = Ticket.objects.get(subject="exe")
    assert list(
        TicketEvent.objects.filter(ticket=exe_ticket).order_by("pk").values_list("kind", flat=True)
    ) == [
        "created",
        "attachment_rejected",
    ]
    assert not exe_ticket.attachments.exists()
    mails = {m.message_id: m for m in InboundMail.objects.all()}
    assert (
        mails["q1@example.cn"].ticket_id == outcomes[1].ticket_id
        and mails["q1@example.cn"].state == "processed"
    )
    assert mails["q5@example.cn"].ticket_message_id == Message.objects.get(ticket_id=outcomes[5].ticket_id).pk
    assert _matches("批量") == set(Ticket.objects.exclude(subject="exe").values_list("pk", flat=True))
    marked = set(EventHandlerRun.objects.filter(handler=events.MUTED).values_list("event_id", flat=True))
    assert marked == set(TicketEvent.objects.values_list("pk", flat=True))


# --------------------------------------------------------------------------- stopping (issue 13 item 8)


@pytest.fixture(scope="module")
def import_home(tmp_path_factory):
    """An embedded kefu of its own (migrated SQLite in ./var) and a folder of 2,000 .eml files."""
    home = tmp_path_factory.mktemp("import-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "migrate", "-v0"], cwd=home, env=env, check=True, timeout=300
    )
    folder = home / "mails"
    folder.mkdir()
    for n in range(2000):
        (folder / f"{n:05d}.eml").write_bytes(
            raw_mail(message_id=f"<stop-{n}@example.cn>", sender=f"客户{n} <c{n}@example.cn>")
        )
    return home, env


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def _until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "signals",
    [
        pytest.param([signal.SIGINT], id="ctrl-c"),
        pytest.param([signal.SIGINT, signal.SIGINT], id="ctrl-c-twice"),
        pytest.param([signal.SIGTERM], id="sigterm"),
    ],
)
def test_stopping_an_import_stops_its_parsing_processes(import_home, signals):
    """After Ctrl-C (or a SIGTERM from a service manager), no parser process of `kefu mail import
    --parse-workers 2` is left running as an orphan."""
    home, env = import_home
    command = [sys.executable, "-m", "kefu.cli", "mail", "import", "mails", "--parse-workers", "2"]
    with (home / "import.log").open("wb") as log:
        parent = subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Ctrl-C as in a terminal, even when the test run itself was started in the background
            # (a shell starts background jobs with SIGINT ignored, and children inherit that).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        # the two parsing processes (and multiprocessing's resource tracker) are at work
        assert _until(lambda: len(_children(parent.pid)) >= 3, 60), (home / "import.log").read_text()
        time.sleep(1)
        children = _children(parent.pid)
        assert parent.poll() is None, "the import ended before it could be interrupted"
        for signum in signals:
            parent.send_signal(signum)
            time.sleep(0.05)
        assert parent.wait(timeout=30) != 0
        for pid in children:
            assert _until(lambda pid=pid: _gone(pid), 15), f"process {pid} outlived the import"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in _children(parent.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
