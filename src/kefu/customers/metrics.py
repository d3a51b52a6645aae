"""The customers app's figures in the metric registry (core.metrics)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window

from .models import Customer, TierChange

APP = "customers"


def customers_by_tier_rows(win: Window, by: str | None) -> list[Row]:
    """Customers in each tier at the end of each day, rebuilt from today's tiers and the tier
    history: a customer created by day D counts in the tier they had then, i.e. today's tier with
    every change after D undone. Two SQL aggregations (customers by creation day and tier, changes
    by day, customer's creation day and tiers); the days are summed here, not the customers."""
    live = Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True, created_at__lt=win.until)
    allowed = win.filters.get("tier")
    created = (
        live.annotate(cday=metrics.local_day("created_at")).values("cday", "tier").annotate(n=Count("pk"))
    )
    changes = (
        TierChange.objects.filter(
            customer__merged_into__isnull=True, customer__erased_at__isnull=True, created_at__gte=win.since
        )
        .annotate(day=metrics.local_day("created_at"), cday=metrics.local_day("customer__created_at"))
        .values("day", "cday", "from_tier", "to_tier")
        .annotate(n=Count("pk"))
    )
    made: list[tuple[date, str, int]] = [(r["cday"], r["tier"], r["n"]) for r in created]
    moves: list[tuple[date, date, str, str, int]] = [
        (r["day"], r["cday"], r["from_tier"], r["to_tier"], r["n"]) for r in changes
    ]
    out: list[Row] = []
    for day in win.days():
        level: dict[str, float] = defaultdict(float)
        for cday, tier, n in made:
            if cday <= day:
                level[tier] += n
        for change_day, cday, from_tier, to_tier, n in moves:
            if change_day > day and cday <= day:  # a later change: undo it
                level[to_tier] -= n
                level[from_tier] += n
        if by == "tier":
            for tier, n in sorted(level.items()):
                if (allowed is None or tier in allowed) and n:
                    out.append(Row(day, tier, n))
        else:
            total = sum(n for tier, n in level.items() if allowed is None or tier in allowed)
            if total:  # no customers, no row (as the rollups keep it)
                out.append(Row(day, "", total))
    return out


def register_all() -> None:
    metrics.register(
        Metric(
            key="customers_by_tier",
            name=_("Customers by tier"),
            description=_("Customers in each tier (普通 / VIP / 高级VIP) at the end of the day."),
            unit="count",
            direction="higher",
            aggregate="stock",
            formula=_(
                "Customers created up to the end of the day, each in the tier they had then (today's "
                "tier with later tier changes undone); merged duplicates and erased customers are left out."
            ),
            rows=customers_by_tier_rows,
            dimensions=("tier",),
            app=APP,
            day_of="event",
        )
    )
