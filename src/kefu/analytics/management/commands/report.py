"""`kefu report monthly --month 2026-10 --format pdf|xlsx|json --out FILE`."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kefu.analytics.reports.fonts import FontError
from kefu.analytics.reports.monthly import ReportError, build_monthly, last_closed_month, parse_month, period
from kefu.analytics.reports.render import FORMATS, filename, render


class Command(BaseCommand):
    help = (
        "Write the monthly service report (headline figures against last month and last year, "
        "12-month trends, top issues, SLA breaches, agents) as PDF, Excel or JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["monthly"], help="which report (monthly: 每月服务报告)")
        parser.add_argument(
            "--month",
            default="",
            metavar="YYYY-MM",
            help="the month to report on, e.g. 2026-10 (default: the last month that has ended)",
        )
        parser.add_argument(
            "--format", dest="fmt", choices=sorted(FORMATS), default="pdf", help="file format (default: pdf)"
        )
        parser.add_argument(
            "--out",
            default="",
            metavar="FILE",
            help="where to write it ('-' for standard output; default: kefu-monthly-report-YYYY-MM.<format> here)",
        )
        parser.add_argument(
            "--language",
            default="",
            help=f"language of the report: zh-hans or en (default: KEFU_LANGUAGE, now {settings.LANGUAGE_CODE})",
        )

    def handle(self, *args, **opts):
        language = opts["language"] or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            raise CommandError(f"--language: one of {', '.join(dict(settings.LANGUAGES))}")
        try:
            first = parse_month(opts["month"]) if opts["month"] else last_closed_month()
            with translation.override(language):
                report = build_monthly(first)
                rendered = render(report, opts["fmt"])
        except (ReportError, FontError) as err:
            raise CommandError(str(err)) from None
        out = opts["out"] or filename(report, opts["fmt"])
        if out == "-":
            sys.stdout.buffer.write(rendered.body)
            sys.stdout.buffer.flush()
            return
        path = Path(out)
        if path.parent and not path.parent.exists():
            raise CommandError(f"--out: the folder {path.parent} does not exist")
        path.write_bytes(rendered.body)
        missing = f"; not available yet: {', '.join(report.unavailable)}" if report.unavailable else ""
        self.stderr.write(
            f"Monthly report {period(first)} ({opts['fmt']}, {len(rendered.body):,} bytes) → {path}{missing}"
        )
