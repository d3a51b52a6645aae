"""One customer's data on request (PIPL Art. 45/47, GDPR): exported whole, or erased (FAULTS D4).

The data lives in several apps — the profile, identities, notes and orders here; tickets, messages
and attachments in `tickets`; more in the channel apps — and `customers` may not import the apps
above it. So each app registers a *part* (`register_part`): how to export its rows of a customer,
how to erase them, and when it must refuse. `customers` runs the parts.

Export: one ZIP with `customer.json` (every part, machine-readable), `orders.csv` (cells that a
spreadsheet could read as formulas neutralised, FAULTS D3) and the attachments' files; an audit
line records who exported whom.

Erasure is resumable: an `ErasureRequest` records each part done, so a run killed halfway goes on
where it stopped, and every part is idempotent (erasing an erased part finds nothing). The profile
goes last: the customer row stays (tickets and orders point at it, figures keep their counts) with
its name, addresses, numbers, notes, tags and portal login removed. The audit log keeps a
pseudonym (a hash), never the address.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import record_audit
from kefu.core.clock import now
from kefu.core.exports import csv_bytes

from .errors import ErasureRefused
from .models import Customer, CustomerIdentity, CustomerNote, ErasureRequest

Exporter = Callable[[Customer], Any]
Eraser = Callable[[Customer], int]
Refuser = Callable[[Customer], str | None]
# Files for the ZIP: (customer) -> [(name inside the zip, open binary file)]
Files = Callable[[Customer], list[tuple[str, Any]]]


@dataclass(frozen=True)
class Part:
    key: str
    order: int
    export: Exporter
    erase: Eraser
    refuse: Refuser | None = None
    files: Files | None = None


_parts: dict[str, Part] = {}


def register_part(
    key: str,
    *,
    export: Exporter,
    erase: Eraser,
    order: int = 100,
    refuse: Refuser | None = None,
    files: Files | None = None,
) -> None:
    _parts[key] = Part(key, order, export, erase, refuse, files)


def parts() -> list[Part]:
    return sorted(_parts.values(), key=lambda p: (p.order, p.key))


def pseudonym(customer: Customer) -> str:
    return hashlib.sha256(f"kefu-customer:{customer.pk}:{customer.email.lower()}".encode()).hexdigest()


# --------------------------------------------------------------------------- this app's parts


def _profile(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "city": customer.city,
        "organisation": customer.organisation.name if customer.organisation_id else None,
        "tier": customer.tier,
        "notify_by_mail": customer.notify_by_mail,  # consent to mail about their tickets
        "portal_account": customer.user.username if customer.user_id else None,
        "created_at": customer.created_at,
        "identities": list(customer.identities.values("kind", "value", "created_at")),
        "tags": list(customer.tags.values_list("name", flat=True)),
        "notes": [{"body": n.body, "created_at": n.created_at} for n in customer.note_entries.all()],
        "tier_history": list(
            customer.tier_changes.values("from_tier", "to_tier", "reason", "note", "created_at")
        ),
    }


def _orders(customer: Customer) -> list[dict]:
    return list(
        customer.orders.order_by("ordered_at", "pk").values(
            "order_id", "shop", "amount", "currency", "ordered_at", "source", "raw"
        )
    )


def _erase_orders(customer: Customer) -> int:
    """Orders stay (the shop's accounts and the figures need them) without the personal fields
    their raw record kept (name, address, phone)."""
    return customer.orders.exclude(raw={}).update(raw={})


def _erase_profile(customer: Customer) -> int:
    rows = CustomerIdentity.objects.filter(customer=customer).delete()[0]
    rows += CustomerNote.objects.filter(customer=customer).delete()[0]
    customer.tags.clear()
    if customer.user_id is not None:
        user = User.objects.get(pk=customer.user_id)
        user.username = f"erased-{customer.pk}-{pseudonym(customer)[:8]}"
        user.email = user.first_name = user.last_name = user.display_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        user.api_tokens.all().delete()
        rows += 1
    Customer.objects.filter(pk=customer.pk).update(
        name=_("Erased customer"),
        email="",
        phone="",
        city="",
        notes="",
        annual_spend=customer.annual_spend,
        user=None,
        notify_by_mail=False,
        tier_override_reason="",
        erased_at=now(),
    )
    return rows + 1


register_part("orders", export=_orders, erase=_erase_orders, order=50)
register_part("profile", export=_profile, erase=_erase_profile, order=1000)


# --------------------------------------------------------------------------- export


def export_customer(customer: Customer, *, by: User | None, ip: str = "") -> bytes:
    """The ZIP of everything kefu holds about this customer; the export is audited."""
    data = {"format": "kefu-customer-export/1", "exported_at": now()}
    for part in parts():
        data[part.key] = part.export(customer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "customer.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
        orders = data.get("orders") or []
        archive.writestr(
            "orders.csv",
            csv_bytes(
                ["order_id", "shop", "amount", "currency", "ordered_at", "source"],
                (
                    [o["order_id"], o["shop"], o["amount"], o["currency"], o["ordered_at"], o["source"]]
                    for o in orders
                ),
            ),
        )
        for part in parts():
            for name, opened in part.files(customer) if part.files else []:
                with opened as stream:
                    archive.writestr(f"{part.key}/{name}", stream.read())
    record_audit(
        actor=by,
        action="customer_export",
        summary=f"data of customer #{customer.pk} exported",
        row_count=sum(len(v) if isinstance(v, list) else 1 for k, v in data.items() if k in _parts),
        detail={"customer": customer.pk, "subject": pseudonym(customer)},
        ip=ip,
    )
    return buffer.getvalue()


# --------------------------------------------------------------------------- erasure


def request_erasure(customer: Customer, *, by: User | None, reason: str = "", ip: str = "") -> ErasureRequest:
    """Start erasing a customer's data (run `continue_erasure`, or the task, to do it). Refused
    (ErasureRefused, with the reason) for a merged duplicate or when a part refuses (open tickets);
    asking again for a customer already being erased returns the running request."""
    customer = Customer.objects.get(pk=customer.pk)
    running = ErasureRequest.objects.filter(customer=customer, finished_at__isnull=True).first()
    if running is not None:
        return running
    if customer.erased_at is not None:
        raise ErasureRefused(_("This customer's data has already been erased."))
    if customer.merged_into_id is not None:
        raise ErasureRefused(
            _("This customer was merged into #%(id)s: erase that customer (or undo the merge) instead.")
            % {"id": customer.merged_into_id}
        )
    for part in parts():
        if part.refuse and (why := part.refuse(customer)):
            raise ErasureRefused(why)
    request = ErasureRequest.objects.create(
        customer=customer, subject=pseudonym(customer), reason=reason[:300], by=by
    )
    record_audit(
        actor=by,
        action="customer_erasure_requested",
        summary=f"erasure of customer {request.subject[:16]} requested",
        detail={"request": request.pk, "subject": request.subject},
        ip=ip,
    )
    return request


def continue_erasure(request_id: int, *, stop_after: int | None = None) -> dict:
    """Erase the parts not done yet, each in its own transaction, recording each as done.
    `stop_after`: stop after that many parts (tests use it to kill a run halfway)."""
    request = ErasureRequest.objects.get(pk=request_id)
    if request.finished_at is not None:
        return request.done
    customer = Customer.objects.get(pk=request.customer_id)
    ran = 0
    for part in parts():
        if part.key in request.done:
            continue
        if stop_after is not None and ran >= stop_after:
            return request.done
        with transaction.atomic():
            rows = part.erase(Customer.objects.get(pk=customer.pk))
            done = {**ErasureRequest.objects.get(pk=request.pk).done, part.key: rows}
            ErasureRequest.objects.filter(pk=request.pk).update(done=done)
        request.done = done
        ran += 1
    ErasureRequest.objects.filter(pk=request.pk, finished_at__isnull=True).update(finished_at=now())
    record_audit(
        actor=request.by,
        action="customer_erased",
        summary=f"data of customer {request.subject[:16]} erased",
        row_count=sum(request.done.values()),
        detail={"request": request.pk, "subject": request.subject, "parts": request.done},
    )
    return request.done
