"""`kefu customers show EMAIL [--json]` and `kefu customers recompute-tiers`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kefu.customers.models import IdentityKind
from kefu.customers.selectors import customer_summary
from kefu.customers.services import resolve_customer
from kefu.customers.tiers import recompute_customers


class Command(BaseCommand):
    help = "Customers: show one by email, address, number or shop id (tier, 12-month spend and orders); recompute tiers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="one customer, found through any of their identities")
        show.add_argument("who", help="email (or phone number)")
        show.add_argument("--json", action="store_true", help="one JSON object")
        sub.add_parser("recompute-tiers", help="recompute every customer's tier now (it also runs nightly)")

    def handle(self, *args, **opts):
        if opts["action"] == "recompute-tiers":
            self.stdout.write(json.dumps({"changed": recompute_customers()}))
            return
        who = opts["who"].strip()
        kind = IdentityKind.EMAIL if "@" in who else IdentityKind.PHONE
        customer = resolve_customer(kind=kind, value=who)
        if customer is None:
            raise CommandError(f"No customer with {who}")
        data = customer_summary(customer)
        if opts["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
            return
        for key, value in data.items():
            self.stdout.write(f"{key:<14} {value}")
