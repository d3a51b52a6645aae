from django.core.management.base import BaseCommand

from kefu.ops.seed import SEED_LEAD, seed


class Command(BaseCommand):
    help = (
        "Fast deterministic bulk data for benchmarks (e.g. --tickets 1000000). Re-running with the same "
        "arguments tops up to N instead of duplicating."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, required=True, help="how many seed tickets there should be"
        )
        parser.add_argument(
            "--customers", type=int, default=None, help="seed customers (default: tickets / 10)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same tickets)")
        parser.add_argument("--messages-per-ticket", type=int, default=3, help="messages per answered ticket")
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        parser.add_argument(
            "--burst",
            action="store_true",
            help="the tickets added now are new ones created in the last hour (a surge for the emergency plans)",
        )

    def handle(self, *args, **opts):
        customers = opts["customers"] if opts["customers"] is not None else max(1, opts["tickets"] // 10)
        result = seed(
            tickets=opts["tickets"],
            customers=customers,
            seed=opts["seed"],
            messages_per_ticket=opts["messages_per_ticket"],
            batch=opts["batch"],
            progress=not opts["no_progress"] and opts["verbosity"] > 0,
            burst=opts["burst"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seed ready: {result.tickets_created} tickets added, {result.tickets_total} in the database, "
                f"{result.customers_total} seed customers. Supervisor login: {SEED_LEAD}."
            )
        )
