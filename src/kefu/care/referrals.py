"""Leads and referral rewards.

A new ticket from a customer with no orders records a lead (once per customer) with its source (the
channel) and the agent who handled it (the assignee, set when the ticket is first assigned). Orders
arrive in customers, which does not know care: `sync()` runs every few minutes and rewards, for each
lead's order placed after the lead and not rewarded yet, the lead's agent — the first order with
`referral_first` (fixed + percent), each later one with `referral_repeat`. The order is unique
among rewards, and a lead has one first reward, so running it twice or on two nodes pays once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import record_audit
from kefu.core.clock import now
from kefu.core.exports import csv_bytes
from kefu.customers.models import Order
from kefu.tickets.models import Ticket, TicketEvent

from . import config, periods
from .models import Lead, ReferralReward


def record_lead(ticket: Ticket, event: TicketEvent) -> Lead | None:
    if Order.objects.filter(customer_id=ticket.customer_id).exists():
        return None
    if Lead.objects.filter(customer_id=ticket.customer_id).exists():
        return None
    try:
        with transaction.atomic():
            return Lead.objects.create(
                customer_id=ticket.customer_id,
                ticket=ticket,
                source=ticket.channel,
                agent_id=ticket.assignee_id if ticket.assignee_id else None,
                created_at=event.created_at,
            )
    except IntegrityError:
        return None


def note_assignment(ticket: Ticket) -> None:
    """The lead's agent is whoever the enquiry was first assigned to."""
    if ticket.assignee_id:
        Lead.objects.filter(ticket=ticket, agent__isnull=True).update(agent_id=ticket.assignee_id)


def reward_amount(amount: Decimal, *, first: bool) -> Decimal:
    fixed, percent = config.reward_rule(first)
    return (fixed + amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def sync() -> int:
    """Reward the orders of leads not rewarded yet; returns how many rewards were made."""
    made = 0
    pending = (
        Order.objects.filter(customer_id__in=Lead.objects.values("customer_id"))
        .exclude(pk__in=ReferralReward.objects.values("order_id"))
        .order_by("ordered_at", "pk")
    )
    leads = {}
    for order in pending.iterator(chunk_size=500):
        lead = leads.get(order.customer_id)
        if lead is None:
            lead = Lead.objects.select_related("ticket").get(customer_id=order.customer_id)
            leads[order.customer_id] = lead
        if order.ordered_at < lead.created_at:
            continue
        agent_id = lead.agent_id or lead.ticket.assignee_id or lead.ticket.first_contact_owner_id
        if agent_id is None:
            continue
        try:
            with transaction.atomic():
                first = not ReferralReward.objects.filter(lead=lead).exists()
                ReferralReward.objects.create(
                    lead=lead,
                    order=order,
                    agent_id=agent_id,
                    first=first,
                    amount=reward_amount(order.amount, first=first),
                    created_at=now(),
                )
                if first:
                    Lead.objects.filter(pk=lead.pk).update(converted_at=order.ordered_at, agent_id=agent_id)
        except IntegrityError:  # another node rewarded it (or the first) meanwhile
            continue
        made += 1
    return made


@dataclass(frozen=True)
class ReportRow:
    agent: User
    first_orders: int
    later_orders: int
    amount: Decimal


def report(*, period: str) -> list[ReportRow]:
    """Per agent: rewards made in the month, first and later orders, and their sum."""
    first = periods.parse(period)
    since, until = periods.bounds(first)
    rows = (
        ReferralReward.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("agent_id")
        .annotate(
            firsts=Count("pk", filter=Q(first=True)),
            later=Count("pk", filter=Q(first=False)),
            amount=Sum("amount"),
        )
        .order_by("-amount", "agent_id")
    )
    agents = User.objects.in_bulk([r["agent_id"] for r in rows])
    return [ReportRow(agents[r["agent_id"]], r["firsts"], r["later"], r["amount"]) for r in rows]


def export_csv(*, user: User, period: str, ip: str = "") -> bytes:
    """The month's report as CSV (formulas neutralised), written to the audit log (FAULTS D3)."""
    rows = report(period=period)
    record_audit(
        actor=user,
        action="care.referrals.export",
        summary=f"Referral rewards export {period}",
        row_count=len(rows),
        detail={"period": period},
        ip=ip,
    )
    return csv_bytes(
        [_("Agent"), _("First orders"), _("Later orders"), _("Rewards (CNY)")],
        [(r.agent.name, r.first_orders, r.later_orders, f"{r.amount:.2f}") for r in rows],
    )
