"""`kefu mail import|reprocess|poll`: the mail channel from the command line."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.mail.importing import BATCH_MAILS, count, default_parse_workers, import_many, json_line, messages
from kefu.mail.inbound import DryRunMemory, reprocess
from kefu.mail.models import InboundMail, Mailbox, MailState


class Command(BaseCommand):
    help = "Email channel: import a mail archive, re-process quarantined mail, poll IMAP mailboxes."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import .eml files, mbox files or Maildir folders")
        imp.add_argument("paths", nargs="+", metavar="PATH")
        imp.add_argument("--dry-run", action="store_true", help="decide, but write nothing")
        imp.add_argument("--json", action="store_true", help="one JSON line per message")
        imp.add_argument("--mailbox", default="", help="address of the mailbox the mail belongs to")
        imp.add_argument("--auto-reply", action="store_true", help="send auto-replies (off for archives)")
        imp.add_argument(
            "--batch",
            type=int,
            default=BATCH_MAILS,
            help="mails per transaction (a crash loses at most one batch; re-running is safe)",
        )
        imp.add_argument(
            "--parse-workers",
            type=int,
            default=None,
            help="processes that parse the next batch while one is written (default: 1 with 2+ cores; 0: none)",
        )
        rep = sub.add_parser("reprocess", help="run quarantined mail through the pipeline again")
        rep.add_argument("ids", nargs="*", type=int)
        rep.add_argument("--all", action="store_true", help="every quarantined mail")
        sub.add_parser("poll", help="poll every active IMAP mailbox once")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        return getattr(self, f"_{options['action']}")(options)

    def _import(self, options):  # type: ignore[no-untyped-def]
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(address__iexact=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"no mailbox {options['mailbox']}")
        memory = DryRunMemory()
        decisions: Counter[str] = Counter()
        total = count(options["paths"])
        bar = tqdm(total=total, unit="mail", disable=options["json"] or total < 2, file=self.stderr._out)
        items = (item for path in options["paths"] for item in messages(path))
        for source, outcome in import_many(
            items,
            mailbox=mailbox,
            dry=options["dry_run"],
            memory=memory,
            auto_reply=options["auto_reply"],
            batch=options["batch"],
            parse_workers=(
                default_parse_workers()
                if options["parse_workers"] is None
                else max(0, options["parse_workers"])
            ),
        ):
            decisions[str(outcome.decision)] += 1
            if options["json"]:
                self.stdout.write(json_line(source, outcome))
            bar.update(1)
        bar.close()
        if not options["json"]:
            summary = ", ".join(f"{k}: {v}" for k, v in sorted(decisions.items()))
            self.stdout.write(f"{sum(decisions.values())} messages ({summary})")

    def _reprocess(self, options):  # type: ignore[no-untyped-def]
        rows = InboundMail.objects.filter(state=MailState.QUARANTINED)
        if not options["all"]:
            rows = rows.filter(pk__in=options["ids"])
        for mail in rows.select_related("mailbox"):
            outcome = reprocess(mail)
            self.stdout.write(f"{mail.pk}: {outcome.decision} {outcome.reason}")

    def _poll(self, options):  # type: ignore[no-untyped-def]
        from kefu.mail.imap import poll_all

        self.stdout.write(f"{poll_all()} mails fetched")
