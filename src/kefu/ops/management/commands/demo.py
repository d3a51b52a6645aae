from django.core.management.base import BaseCommand

from kefu.ops.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, DEFAULT_TICKETS, demo_logins, load_demo
from kefu.ops.progress import Steps


class Command(BaseCommand):
    help = "Load or refresh the demo company 云杉优品 (teams, agents, customers, ~500 tickets). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help="number of demo tickets")
        parser.add_argument(
            "--customers", type=int, default=DEFAULT_CUSTOMERS, help="number of demo customers"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)"
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress lines")

    def handle(self, *args, tickets, customers, seed, no_progress, **options):
        summary = load_demo(
            tickets_count=tickets,
            customers_count=customers,
            seed=seed,
            progress=Steps(self.stdout if not no_progress and options["verbosity"] > 0 else None),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {summary.users} staff, {summary.customers} customers, "
                f"{summary.tickets_total} tickets ({summary.tickets_created} new)."
            )
        )
        print_logins(self.stdout)


def print_logins(out) -> None:
    out.write("Demo logins (username / password):")
    for login in demo_logins():
        out.write(f"  {login.role:<11} {login.username:<10} / {login.password}   ({login.name})")
