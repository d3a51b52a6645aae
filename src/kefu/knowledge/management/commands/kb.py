"""`kefu kb import FILE | export | ask "question" | reindex`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.knowledge import importing, services
from kefu.knowledge.models import Article
from kefu.knowledge.search import store

IMPORT_HELP = """Import articles from JSON Lines, CSV (the same columns) or a folder of Markdown files
with front matter. Columns: external_id, title, answer (or short_answer), body, questions,
category (a/b), language, tags, audience, status, kind. A row with an external id that exists
updates that article (a new version when its content changed).

Bad rows: each is reported on stderr as "line N: message" and skipped; the good rows are imported.
A bad row is one that is not valid JSON/CSV, has an empty title or no answer, an unknown language,
audience, status or kind, or repeats an earlier row of the same file (the same external id, or,
without an external id, the same title and language: "duplicate … line M has it already").
Rows with different external ids may share a title. Every row is written in one transaction
(article, first version, category): a row that fails leaves no half-written article. The summary
line counts created, updated, unchanged and errors; fix the reported lines and import the file
again (rows with an external id come back unchanged)."""


class Command(BaseCommand):
    help = "Knowledge base: import, export, ask the bot, rebuild the search index."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser(
            "import",
            help="Import articles from JSON Lines, CSV or a folder of Markdown files.",
            description=IMPORT_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("file")
        p = sub.add_parser("export", help="Write every article as JSON Lines.")
        p.add_argument("--output", "-o", default="-")
        p = sub.add_parser(
            "ask", help="Ask the bot; without a question, one question per stdin line → JSON lines."
        )
        p.add_argument("question", nargs="?")
        p.add_argument("--language", default="zh-hans")
        sub.add_parser("reindex", help="Rebuild the search index from the database.")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, file: str, **options) -> None:
        path = Path(file)
        if not path.exists():
            raise CommandError(f"{file}: no such file or folder")
        total = importing.count_rows(path)
        with tqdm(total=total, unit="row", disable=None, file=sys.stderr) as bar:
            report = services.import_rows(importing.read(path), by=None, progress=bar)
        store.get_index()  # index the new articles now, not on the first question
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
            f"errors {len(report.errors)}"
        )
        for line, message in report.errors:
            self.stderr.write(f"line {line}: {message}")

    def do_export(self, output: str = "-", **options) -> None:
        out = self.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for article in Article.objects.select_related("category__parent").order_by("pk").iterator():
                out.write(json.dumps(services.export_row(article), ensure_ascii=False) + "\n")
        finally:
            if out is not self.stdout:
                out.close()

    def do_ask(self, question: str | None = None, language: str = "zh-hans", **options) -> None:
        if question is not None:
            result = services.answer(question, language=language, channel="cli", customer=None)
            self.stdout.write(
                f"decision: {result.decision}  confidence: {result.confidence:.2f}"
                + (f"  ({result.reason})" if result.reason else "")
            )
            for a in result.articles:
                self.stdout.write(f"  [{a.id}] {a.title}  score={a.score:.3f}")
            self.stdout.write(result.text)
            return
        for line in sys.stdin:
            q = line.rstrip("\n")
            result = services.answer(q, language=language, channel="cli", customer=None, log=False)
            self.stdout.write(json.dumps(result.as_json(q), ensure_ascii=False))
            self.stdout.flush()

    def do_reindex(self, **options) -> None:
        index = store.rebuild()
        self.stdout.write(f"indexed {len(index)} articles")
