"""The care figures in the metric registry (core.metrics).

- complaint_rate: tickets typed complaint ÷ tickets created, by the day each was created.
- second_complaint_rate: second complaints (二次投诉) ÷ all complaints recorded, by the day recorded.
- touch_rate: key customers reached ÷ key customers on the list, on the first day of the list's month.
- callback_reach_rate: callbacks whose outcome reached the customer ÷ callbacks with an outcome,
  by the day the outcome was recorded.
- referral_rewards: the sum of referral rewards made, by day, cut by agent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric, Row, Window
from kefu.tickets.metrics.common import (
    TICKET_DIMENSIONS,
    apply_filters,
    columns,
    daily,
    during,
    group_of,
    narrowed,
)
from kefu.tickets.models import Ticket, TicketType

from .models import REACHED_OUTCOMES, Callback, Complaint, KeyCustomer, ReferralReward

COMPLAINT = Q(type=TicketType.COMPLAINT)


def _created(win: Window) -> tuple[QuerySet[Ticket], dict[str, str]]:
    paths = columns()
    qs = during(Ticket.objects.filter(merged_into__isnull=True), "created_at", win)
    return apply_filters(qs, win.filters, paths), paths


def complaint_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _created(win)
    return daily(qs, "created_at", by, paths, num=Count("pk", filter=COMPLAINT), den=Count("pk"))


def complaint_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _created(narrowed(win, by, group))
    return qs.filter(COMPLAINT)


def _complaints(win: Window) -> tuple[QuerySet[Complaint], dict[str, str]]:
    paths = columns("ticket__")
    qs = during(Complaint.objects.filter(ticket__merged_into__isnull=True), "created_at", win)
    return apply_filters(qs, win.filters, paths), paths


def second_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _complaints(win)
    return daily(qs, "created_at", by, paths, num=Count("pk", filter=Q(is_repeat=True)), den=Count("pk"))


def second_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _complaints(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.filter(is_repeat=True).values("ticket_id"))


def touch_rows(win: Window, by: str | None) -> list[Row]:
    """Key customers put on a list (den, on the day they were listed) and reached (num, on the day
    they were reached): a change lands on the day it happens, which is what the rollups recompute."""
    paths = {"tier": "customer__tier"}
    qs = apply_filters(KeyCustomer.objects.all(), win.filters, paths)
    group = [paths[by]] if by else []
    sums: dict[tuple[Any, str], list[float]] = {}
    for field, slot in (("created_at", 1), ("reached_at", 0)):
        found = (
            during(qs, field, win)
            .annotate(kday=metrics.local_day(field))
            .values("kday", *group)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for r in found:
            key = (r["kday"], group_of(r[paths[by]]) if by else "")
            sums.setdefault(key, [0.0, 0.0])[slot] += float(r["n"])
    return [Row(day, grp, num, den) for (day, grp), (num, den) in sums.items()]


def _worked(win: Window) -> tuple[QuerySet[Callback], dict[str, str]]:
    paths = columns("ticket__", agent="worked_by_id")
    qs = during(Callback.objects.exclude(outcome=""), "worked_at", win)
    return apply_filters(qs, win.filters, paths), paths


def reach_rows(win: Window, by: str | None) -> list[Row]:
    qs, paths = _worked(win)
    reached = Q(outcome__in=[str(o) for o in REACHED_OUTCOMES])
    return daily(qs, "worked_at", by, paths, num=Count("pk", filter=reached), den=Count("pk"))


def reach_drill(win: Window, by: str | None, group: str | None) -> QuerySet[Ticket]:
    qs, _paths = _worked(narrowed(win, by, group))
    return Ticket.objects.filter(pk__in=qs.values("ticket_id"))


def reward_rows(win: Window, by: str | None) -> list[Row]:
    paths = {"agent": "agent_id"}
    qs = apply_filters(during(ReferralReward.objects.all(), "created_at", win), win.filters, paths)
    return daily(qs, "created_at", by, paths, num_as=_money, num=Sum("amount"))


def _money(value: Any) -> float:
    return float(value or 0)


def register_all() -> None:
    metrics.register(
        Metric(
            key="complaint_rate",
            name=_("Complaint rate"),
            description=_("Share of new tickets that are complaints."),
            unit="percent",
            direction="lower",
            aggregate="ratio",
            formula=_("Tickets of type complaint ÷ tickets created, on the day each ticket was created."),
            rows=complaint_rows,
            drill=complaint_drill,
            dimensions=TICKET_DIMENSIONS,
            app="care",
            day_of="created",
        )
    )
    metrics.register(
        Metric(
            key="second_complaint_rate",
            name=_("Second complaint rate"),
            description=_("Share of complaints that are second complaints (二次投诉)."),
            unit="percent",
            direction="lower",
            aggregate="ratio",
            formula=_(
                "Second complaints ÷ complaints (first and second) recorded on the day. A second "
                "complaint: the same customer again about the same order or ticket within the "
                "configured window, or reopening the complaint ticket."
            ),
            rows=second_rows,
            drill=second_drill,
            dimensions=TICKET_DIMENSIONS,
            app="care",
        )
    )
    metrics.register(
        Metric(
            key="touch_rate",
            name=_("Key-customer touch rate"),
            description=_("Share of the month's key customers reached by a care task."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Key customers reached (a care task with outcome reached, satisfied or problem "
                "persists), on the day they were reached ÷ key customers put on a month's list, on "
                "the day they were listed."
            ),
            rows=touch_rows,
            dimensions=("tier",),
            app="care",
            target=100.0,
        )
    )
    metrics.register(
        Metric(
            key="callback_reach_rate",
            name=_("Callback reach rate"),
            description=_("Share of worked callbacks (回访) that reached the customer."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Callbacks with outcome reached, satisfied or problem persists ÷ callbacks with any "
                "outcome, on the day the outcome was recorded. Cut by agent: who worked it."
            ),
            rows=reach_rows,
            drill=reach_drill,
            dimensions=TICKET_DIMENSIONS,
            app="care",
        )
    )
    metrics.register(
        Metric(
            key="referral_rewards",
            name=_("Referral rewards"),
            description=_("Rewards earned by agents for leads that ordered."),
            unit="currency",
            direction="higher",
            aggregate="count",
            formula=_(
                "Sum of referral rewards made on the day: fixed + percent of the order, for a lead's "
                "first order and (by their own rule) each later one."
            ),
            rows=reward_rows,
            dimensions=("agent",),
            app="care",
        )
    )
