"""`kefu customers show EMAIL [--json]`, `recompute-tiers`, `export EMAIL --out FILE`, `erase EMAIL`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.customers import privacy
from kefu.customers.models import ErasureRequest, IdentityKind
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
        export = sub.add_parser("export", help="everything kept about one customer, as a ZIP (audited)")
        export.add_argument("who", help="email (or phone number)")
        export.add_argument("--out", required=True, help="the ZIP file to write")
        erase = sub.add_parser(
            "erase",
            help="erase one customer's data (PIPL/GDPR); run again to resume one that stopped halfway",
        )
        erase.add_argument("who", help="email (or phone number), or #id for an erasure under way")
        erase.add_argument("--reason", default="", help="why (kept with the request)")

    def handle(self, *args, **opts):
        if opts["action"] == "recompute-tiers":
            self.stdout.write(json.dumps({"changed": recompute_customers()}))
            return
        who = opts["who"].strip()
        if opts["action"] == "erase" and who.startswith("#"):
            self._erase(ErasureRequest.objects.filter(pk=int(who[1:] or 0)).first(), opts)
            return
        kind = IdentityKind.EMAIL if "@" in who else IdentityKind.PHONE
        customer = resolve_customer(kind=kind, value=who)
        if customer is None:
            raise CommandError(f"No customer with {who}")
        if opts["action"] == "export":
            with open(opts["out"], "wb") as out:
                out.write(privacy.export_customer(customer, by=None))
            self.stdout.write(opts["out"])
            return
        if opts["action"] == "erase":
            try:
                request = privacy.request_erasure(customer, by=None, reason=opts["reason"])
            except DomainError as err:
                raise CommandError(err.message) from None
            self._erase(request, opts)
            return
        data = customer_summary(customer)
        if opts["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
            return
        for key, value in data.items():
            self.stdout.write(f"{key:<14} {value}")

    def _erase(self, request, opts):
        if request is None:
            raise CommandError("No such erasure request")
        self.stdout.write(f"erasure #{request.pk} ({request.subject[:16]})")
        done = privacy.continue_erasure(request.pk)
        self.stdout.write(json.dumps({"request": request.pk, "parts": done}))
