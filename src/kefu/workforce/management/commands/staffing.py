"""`kefu staffing erlang-c|erlang-a|forecast …`: agents required per interval, and the nightly forecast."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.workforce import erlang


def _common(parser) -> None:  # noqa: ANN001
    parser.add_argument("--arrivals", type=float, required=True, help="contacts arriving in the interval")
    parser.add_argument(
        "--interval", type=float, default=1800, help="interval length in seconds (default 1800)"
    )
    parser.add_argument("--aht", type=float, required=True, help="average handling time in seconds")
    parser.add_argument(
        "--service-level",
        type=float,
        default=0.8,
        help="share to answer within --answer-within (default 0.8)",
    )
    parser.add_argument(
        "--answer-within", type=float, default=20, help="target answer time in seconds (default 20)"
    )
    parser.add_argument(
        "--shrinkage", type=float, default=0.0, help="share of paid time off the phones (0–1)"
    )
    parser.add_argument(
        "--floor", type=int, default=erlang.DEFAULT_FLOOR, help="never schedule fewer (default 2: peak hours)"
    )
    parser.add_argument(
        "--agents",
        type=int,
        default=None,
        help="evaluate this many agents instead of finding the fewest (traffic ≥ agents → unstable queue)",
    )


class Command(BaseCommand):
    help = "Staffing: Erlang C / Erlang A agents required for a service level, and the contact forecast."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser(
            "erlang-c",
            help="agents required (Erlang C), printed as one JSON object",
            description="Example: kefu staffing erlang-c --arrivals 100 --interval 1800 --aht 180 "
            '--service-level 0.8 --answer-within 20  →  {"agents": 14, "service_level": 0.8884, …}',
        )
        _common(c)
        a = sub.add_parser(
            "erlang-a",
            help="agents required when customers abandon (Erlang A, for chat), as one JSON object",
            description="Like erlang-c plus --patience (mean seconds before a customer gives up).",
        )
        _common(a)
        a.add_argument("--patience", type=float, required=True, help="mean patience in seconds")
        f = sub.add_parser("forecast", help="run the nightly contact forecast now (once per night)")
        f.add_argument("--force", action="store_true", help="run again even if tonight's run is done")

    def handle(self, *args, **opts):
        try:
            if opts["action"] == "forecast":
                from kefu.workforce import forecasting

                run = forecasting.run_nightly(force=opts["force"])
                self.stdout.write(json.dumps({"run": run.pk if run else None, "done": run is not None}))
                return
            kw = {
                "arrivals": opts["arrivals"],
                "interval": opts["interval"],
                "aht": opts["aht"],
                "answer_within": opts["answer_within"],
            }
            if opts["action"] == "erlang-a":
                kw["patience"] = opts["patience"]
            if opts["agents"] is not None:
                fn = erlang.evaluate_a if opts["action"] == "erlang-a" else erlang.evaluate
                result = fn(agents=opts["agents"], **kw)
            else:
                fn = erlang.required_a if opts["action"] == "erlang-a" else erlang.required
                result = fn(
                    service_level=opts["service_level"],
                    shrinkage=opts["shrinkage"],
                    floor=opts["floor"],
                    **kw,
                )
        except DomainError as err:
            raise CommandError(f"{err.field or 'input'}: {err.message}") from None
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
