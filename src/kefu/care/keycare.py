"""Key-customer care: the month's list (top spenders + complainers) and its care tasks.

The list of a month = the top `key_top_percent` % of customers by spend over the 12 months before
the month (customers with any spend, ranked by Σ Order.amount, ties by id) + everyone with a
complaint in the month. Generation is idempotent: (month, customer) and (customer, month, kind) are
unique; a re-run adds only who joined since (a complaint yesterday). Top spenders get a care call
(关怀), complainers a callback (回访); customers of the care tiers get a birthday task in their
birthday month and an anniversary task in the month they became customers (CustomerProfile).
Touch rate = list entries reached ÷ entries on the list.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.core.metrics import local_zone
from kefu.customers.models import Customer, Order
from kefu.tickets.models import Ticket

from . import config, periods
from .callbacks import check_outcome
from .errors import AlreadyWorked
from .models import REACHED_OUTCOMES, CareKind, CareTask, Complaint, CustomerProfile, KeyCustomer

SCRIPTS = {
    CareKind.CARE: gettext_noop(
        "Hello %(name)s, this is customer service. Thank you for being with us this year. "
        "How are our products and service working for you? Is there anything we could do better?"
    ),
    CareKind.CALLBACK: gettext_noop(
        "Hello %(name)s, this is customer service following up on your recent complaint. "
        "Has it been solved to your satisfaction?"
    ),
    CareKind.BIRTHDAY: gettext_noop("Happy birthday, %(name)s! Best wishes from all of customer service."),
    CareKind.ANNIVERSARY: gettext_noop(
        "Hello %(name)s, it is your anniversary with us — thank you for your trust."
    ),
}


def _script(kind: str, customer_name: str) -> str:
    return _(SCRIPTS[kind]) % {"name": customer_name}


def top_spenders(first: date) -> list[tuple[int, Decimal]]:
    """(customer id, 12-month spend) of the top key_top_percent % before the month `first`."""
    since = periods.instant(periods.months_back(first, 12))
    until = periods.instant(first)
    spend = list(
        Order.objects.filter(ordered_at__gte=since, ordered_at__lt=until, customer__merged_into__isnull=True)
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by("-total", "customer_id")
        .values_list("customer_id", "total")
    )
    keep = math.ceil(len(spend) * float(config.get("key_top_percent")) / 100)
    return spend[:keep]


def _same_day(year: int, month: int, day: date) -> date:
    try:
        return date(year, month, day.day)
    except ValueError:  # 29 February in a common year
        return date(year, month, 28)


@transaction.atomic
def generate(*, period: str) -> int:
    """The list and tasks of `period`; returns how many tasks were created (a concurrent run may
    count a task the other one wrote: the unique constraint keeps one)."""
    first = periods.parse(period)
    period = periods.name(first)
    last = periods.last_day(first)
    since, until = periods.bounds(first)
    spenders = dict(top_spenders(first))
    complainers: set[int] = set()
    if config.get("key_include_complainers"):
        complainers = set(
            Complaint.objects.filter(
                created_at__gte=since, created_at__lt=until, customer__merged_into__isnull=True
            ).values_list("customer_id", flat=True)
        )
    KeyCustomer.objects.bulk_create(
        [
            KeyCustomer(
                period=period,
                period_start=first,
                customer_id=pk,
                spend=spenders.get(pk, Decimal(0)),
                top_spender=pk in spenders,
                complained=pk in complainers,
            )
            for pk in sorted(set(spenders) | complainers)
        ],
        ignore_conflicts=True,
    )
    KeyCustomer.objects.filter(period=period, customer_id__in=complainers, complained=False).update(
        complained=True
    )
    entries = {k.customer_id: k for k in KeyCustomer.objects.filter(period=period)}
    last_agent = Subquery(
        Ticket.objects.filter(customer=OuterRef("pk"), assignee__isnull=False)
        .order_by("-created_at", "-pk")
        .values("assignee_id")[:1]
    )
    wanted: list[tuple[int, str, date]] = []
    today = min(max(now().astimezone(local_zone()).date(), first), last)
    for pk, entry in entries.items():
        if entry.top_spender:
            wanted.append((pk, CareKind.CARE, last))
        if entry.complained:
            wanted.append((pk, CareKind.CALLBACK, today))
    tiers = list(config.get("care_tiers"))
    for profile in CustomerProfile.objects.filter(
        customer__tier__in=tiers, customer__merged_into__isnull=True, birthday__month=first.month
    ):
        wanted.append(
            (profile.customer_id, CareKind.BIRTHDAY, _same_day(first.year, first.month, profile.birthday))
        )
    for profile in CustomerProfile.objects.filter(
        customer__tier__in=tiers,
        customer__merged_into__isnull=True,
        customer_since__month=first.month,
        customer_since__year__lt=first.year,
    ):
        assert profile.customer_since is not None
        wanted.append(
            (
                profile.customer_id,
                CareKind.ANNIVERSARY,
                _same_day(first.year, first.month, profile.customer_since),
            )
        )
    existing = set(CareTask.objects.filter(period=period).values_list("customer_id", "kind"))
    wanted = [(pk, kind, due) for pk, kind, due in wanted if (pk, kind) not in existing]
    customers = {
        c.pk: c
        for c in Customer.objects.filter(pk__in={pk for pk, _k, _d in wanted}).annotate(last_agent=last_agent)
    }
    created = CareTask.objects.bulk_create(
        [
            CareTask(
                customer_id=pk,
                period=period,
                kind=kind,
                key_customer=entries.get(pk) if kind in (CareKind.CARE, CareKind.CALLBACK) else None,
                due_on=due,
                assignee_id=customers[pk].last_agent,
                script=_script(kind, customers[pk].name),
            )
            for pk, kind, due in wanted
        ],
        ignore_conflicts=True,
    )
    return len(created)


@transaction.atomic
def work(
    task: CareTask, *, outcome: str, notes: str = "", service_matched: bool | None = None, by: User
) -> CareTask:
    """Record the outcome once (compare-and-set); a reached customer counts as touched on the list."""
    check_outcome(outcome)
    current = now()
    won = CareTask.objects.filter(pk=task.pk, outcome="").update(
        outcome=outcome,
        notes=(notes or "").strip()[:4000],
        service_matched=service_matched,
        worked_by=by,
        worked_at=current,
    )
    if not won:
        raise AlreadyWorked(_("This care task already has an outcome."), field="outcome")
    task.refresh_from_db()
    if outcome in REACHED_OUTCOMES:
        KeyCustomer.objects.filter(
            period=task.period, customer_id=task.customer_id, reached_at__isnull=True
        ).update(reached_at=current)
    return task
