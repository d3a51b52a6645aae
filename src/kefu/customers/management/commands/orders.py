"""`kefu orders import FILE`: orders from a shop's CSV or XLSX export."""

from __future__ import annotations

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.core.errors import DomainError
from kefu.customers.order_files import COLUMNS, parse_mapping
from kefu.customers.orders import import_file


class Command(BaseCommand):
    help = (
        "Orders: import a CSV or XLSX file (order_id, customer_email, amount, ordered_at, optional "
        "customer_name, phone, currency, shop); tiers are recomputed after it."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="import a file; the last line printed is a JSON report; rejected rows go to stderr by line",
        )
        imp.add_argument("file", help="a .csv (UTF-8 or GBK/GB18030, as Excel saves it) or .xlsx file")
        imp.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=HEADER",
            help=f"read a column from a header of another name, e.g. --map order_id=单号 (columns: {', '.join(COLUMNS)}); "
            "Chinese headers such as 订单号, 邮箱, 金额, 下单时间 are recognised without it",
        )
        imp.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, **opts):
        path = opts["file"]
        if not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        show = not opts["no_progress"] and opts["verbosity"] > 0
        try:
            mapping = parse_mapping(opts["map"])
            with (
                open(path, "rb") as stream,
                tqdm(desc="orders", unit=" rows", disable=not show, file=sys.stderr) as bar,
            ):
                report = import_file(
                    stream, name=os.path.basename(path), by=None, mapping=mapping, progress=bar.update
                )
        except DomainError as err:
            self.stdout.write(
                json.dumps({"imported": 0, "unchanged": 0, "rejected": 0, "error": err.message})
            )
            raise CommandError(err.message) from None
        for line, reason in report.errors:
            self.stderr.write(f"line {line}: {reason}")
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
