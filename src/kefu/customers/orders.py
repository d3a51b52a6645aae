"""Orders into kefu: a file imported (CSV/XLSX, `kefu orders import` and the supervisors' page) or
one order pushed by a shop (`POST /api/orders`).

An order is keyed by (shop, order number). Importing the same file again changes nothing; a row
whose order exists with other figures (a corrected amount) updates it; a row naming another
customer than the stored order is rejected. A pushed order that exists already is answered with
the stored one, unchanged (the shop's retry).

Customers: a row's email finds the customer (through every identity, merged duplicates answering
for their target); an unknown email creates the customer with the row's name and phone. A row
without an email is matched by its phone number to a known customer, and rejected when none
matches (kefu creates no customer it could not write to).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import record_audit
from kefu.core.errors import ValidationFailed

from .models import Customer, IdentityKind, Order, OrderSource
from .order_files import Row, read_rows
from .services import (
    checked_email,
    created_in_batch,
    customer_batch,
    find_or_create_customer,
    normalise_phone,
    prefetch_customers,
    resolve_customer,
)
from .tiers import recompute_customers

BATCH = 1000
MAX_AMOUNT = Decimal("999999999999.99")
_AMOUNT_JUNK = re.compile(r"[\s,¥￥$]|CNY|RMB|元", re.IGNORECASE)
_EXCEL_EPOCH = date(1899, 12, 30)


class RowRejected(ValidationFailed):
    code = "order_rejected"


@dataclass
class Clean:
    order_id: str
    shop: str
    email: str
    name: str
    phone: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    raw: dict


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    customers_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "customers_created": self.customers_created,
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an order number Excel stored as a number
    return str(value).strip()


def parse_amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise RowRejected(_("amount: not a number"), field="amount")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = _AMOUNT_JUNK.sub("", _text(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise RowRejected(
                _("amount: “%(value)s” is not a number") % {"value": _text(value)[:40]}, field="amount"
            ) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise RowRejected(
            _("amount: %(value)s is out of range (0 to 999,999,999,999.99)") % {"value": _text(value)[:40]},
            field="amount",
        )
    return amount.quantize(Decimal("0.01"))


def parse_ordered_at(value: Any) -> datetime:
    """ISO or 2026/06/01 12:30 text, a date, an Excel date cell or serial; local time (Asia/Shanghai) when naive."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2958466:
        moment = datetime.combine(_EXCEL_EPOCH, time()) + timedelta(days=float(value))
    else:
        text = _text(value).replace("/", "-").replace("年", "-").replace("月", "-").replace("日", "")
        try:
            moment = parse_datetime(text) or (
                datetime.combine(date.fromisoformat(text), time()) if len(text) == 10 else None
            )
        except ValueError:
            moment = None
    if moment is None:
        raise RowRejected(
            _("ordered_at: “%(value)s” is not a date and time") % {"value": _text(value)[:40]},
            field="ordered_at",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.replace(microsecond=0)


def clean(values: dict[str, Any]) -> Clean:
    """One row or pushed order checked; RowRejected names the first thing wrong."""
    order_id = _text(values.get("order_id"))
    if not order_id:
        raise RowRejected(_("order_id: missing"), field="order_id")
    if len(order_id) > 100:
        raise RowRejected(_("order_id: longer than 100 characters"), field="order_id")
    try:
        email = checked_email(_text(values.get("customer_email")), field="customer_email")
        phone = normalise_phone(_text(values.get("phone")), field="phone")
    except ValidationFailed as err:
        raise RowRejected(f"{err.field}: {err.message}", field=err.field) from None
    currency = (_text(values.get("currency")) or "CNY").upper()
    if currency in {"RMB", "人民币", "元"}:
        currency = "CNY"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowRejected(
            _("currency: “%(value)s” is not a currency code such as CNY") % {"value": currency[:20]},
            field="currency",
        )
    return Clean(
        order_id=order_id,
        shop=_text(values.get("shop"))[:100],
        email=email,
        name=_text(values.get("customer_name"))[:200],
        phone=phone,
        amount=parse_amount(values.get("amount")),
        currency=currency,
        ordered_at=parse_ordered_at(values.get("ordered_at")),
        raw={k: _text(v) for k, v in values.items()},
    )


def _customer(row: Clean) -> tuple[Customer, bool]:
    """The row's customer, and whether it was created for it."""
    if row.email:
        before = created_in_batch()
        customer = find_or_create_customer(email=row.email, name=row.name, phone=row.phone)
        return customer, created_in_batch() > before
    found = resolve_customer(kind=IdentityKind.PHONE, value=row.phone) if row.phone else None
    if found is None:
        raise RowRejected(
            _("customer_email: missing, and no customer has this phone number"), field="customer_email"
        )
    return found, False


def _same(order: Order, row: Clean) -> bool:
    return (
        order.amount == row.amount and order.currency == row.currency and order.ordered_at == row.ordered_at
    )


def import_rows(
    rows: Iterable[Row],
    *,
    by: User | None,
    source: str = OrderSource.IMPORT,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import checked rows in batches of 1,000 (one transaction each), then recompute the tiers of
    every customer whose orders changed."""
    report = ImportReport()
    seen: dict[tuple[str, str], int] = {}
    touched: set[int] = set()
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _import_batch(batch, report=report, seen=seen, touched=touched, source=source)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _import_batch(batch, report=report, seen=seen, touched=touched, source=source)
        if progress:
            progress(len(batch))
    if touched:
        recompute_customers(sorted(touched))
    report.errors.sort()
    return report


def _reject(report: ImportReport, line: int, reason: str) -> None:
    report.rejected += 1
    report.errors.append((line, reason))


@transaction.atomic
def _import_batch(
    batch: list[Row],
    *,
    report: ImportReport,
    seen: dict[tuple[str, str], int],
    touched: set[int],
    source: str,
) -> None:
    cleaned: list[tuple[int, Clean]] = []
    for row in batch:
        try:
            c = clean(row.values)
        except RowRejected as err:
            _reject(report, row.line, err.message)
            continue
        key = (c.shop, c.order_id)
        if key in seen:
            _reject(
                report,
                row.line,
                _("order_id: %(id)s repeats line %(line)s") % {"id": c.order_id, "line": seen[key]},
            )
            continue
        seen[key] = row.line
        cleaned.append((row.line, c))
    existing: dict[tuple[str, str], Order] = {}
    for shop in {c.shop for _line, c in cleaned}:
        ids = [c.order_id for _line, c in cleaned if c.shop == shop]
        for order in Order.objects.filter(shop=shop, order_id__in=ids):
            existing[(shop, order.order_id)] = order
    new: list[Order] = []
    with customer_batch():
        prefetch_customers(c.email for _line, c in cleaned if c.email)
        for line, c in cleaned:
            try:
                customer, created = _customer(c)
            except RowRejected as err:
                _reject(report, line, err.message)
                continue
            report.customers_created += created
            order = existing.get((c.shop, c.order_id))
            if order is None:
                new.append(
                    Order(
                        order_id=c.order_id,
                        shop=c.shop,
                        customer=customer,
                        amount=c.amount,
                        currency=c.currency,
                        ordered_at=c.ordered_at,
                        source=source,
                        raw=c.raw,
                    )
                )
                touched.add(customer.pk)
            elif order.customer_id != customer.pk and not _merged_into(order.customer_id, customer.pk):
                _reject(
                    report,
                    line,
                    _("order_id: %(id)s belongs to another customer (#%(customer)s)")
                    % {"id": c.order_id, "customer": order.customer_id},
                )
            elif _same(order, c):
                report.unchanged += 1
            else:
                Order.objects.filter(pk=order.pk).update(
                    amount=c.amount, currency=c.currency, ordered_at=c.ordered_at, raw=c.raw
                )
                report.updated += 1
                touched.add(order.customer_id)
    Order.objects.bulk_create(new, batch_size=500)
    report.imported += len(new)


def _merged_into(customer_id: int, target_id: int) -> bool:
    return Customer.objects.filter(pk=customer_id, merged_into_id=target_id).exists()


def import_file(
    stream: IO[bytes],
    *,
    name: str,
    by: User | None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """`kefu orders import FILE` and the import page: the whole file, then one audit line."""
    report = import_rows(read_rows(stream, name=name, mapping=mapping), by=by, progress=progress)
    record_audit(
        actor=by,
        action="orders_import",
        summary=f"orders imported from {name}"[:300],
        row_count=report.imported + report.updated,
        detail=report.as_dict(),
    )
    return report


@dataclass(frozen=True)
class Pushed:
    order: Order
    created: bool


def push_order(values: dict[str, Any], *, by: User | None) -> Pushed:
    """A shop's order (the API): created once; a repeat with the same shop and order number
    returns the stored order unchanged, whatever the repeat says."""
    c = clean(values)
    found = Order.objects.filter(shop=c.shop, order_id=c.order_id).first()
    if found is not None:
        return Pushed(found, False)
    try:
        with transaction.atomic():
            customer, _created = _customer(c)
            order = Order.objects.create(
                order_id=c.order_id,
                shop=c.shop,
                customer=customer,
                amount=c.amount,
                currency=c.currency,
                ordered_at=c.ordered_at,
                source=OrderSource.API,
                raw=values.get("raw") or c.raw,
            )
    except IntegrityError:  # the same order pushed twice at once: the other one won
        return Pushed(Order.objects.get(shop=c.shop, order_id=c.order_id), False)
    recompute_customers([order.customer_id])
    return Pushed(order, True)
