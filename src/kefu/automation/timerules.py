"""Time-based rules: "pending on the customer 3 days → reminder", "unassigned 10 minutes → tell the lead".

A periodic task runs `sweep()`. For each active rule it finds the tickets that have been in the
rule's state for at least `minutes`. The *occurrence* is the event that started that state (the
status change to pending, the last (un)assignment, or the creation), so each (rule, ticket,
occurrence) acts once: a `TimeRuleRun` row with a unique key is inserted in the same transaction as
the actions, and a second worker's insert fails and skips. A new episode (pending again after the
customer answered) is a new occurrence and acts again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.tickets.models import EventKind, Ticket, TicketEvent
from kefu.tickets.states import OPEN_STATUSES, Status

from . import actions, rules
from .models import RunStatus, TimeRule, TimeRuleKind, TimeRuleRun

log = logging.getLogger("kefu.automation")
BATCH = 200


def _candidates(rule: TimeRule) -> QuerySet[Ticket]:
    """Tickets in the rule's state for at least `minutes`, not yet acted on for this occurrence.

    Annotated with `occ` (the event that started the state, if any) and `occ_key` (the run key);
    the ones already run are excluded in SQL, so a sweep costs what is new, not what is old.
    """
    threshold = now() - timedelta(minutes=rule.minutes)
    tickets = Ticket.objects.filter(merged_into__isnull=True)
    if rule.kind in (TimeRuleKind.PENDING, TimeRuleKind.ON_HOLD):
        status = Status.PENDING if rule.kind == TimeRuleKind.PENDING else Status.ON_HOLD
        entered = TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind=EventKind.CHANGED, field="status", new_value=status
        ).order_by("-created_at", "-pk")
        found = (
            tickets.filter(status=status)
            .annotate(
                since=Subquery(entered.values("created_at")[:1]), occ=Subquery(entered.values("pk")[:1])
            )
            .filter(since__lte=threshold)
        )
    elif rule.kind == TimeRuleKind.UNASSIGNED:
        last = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.ASSIGNED).order_by(
            "-created_at", "-pk"
        )
        found = (
            tickets.filter(status__in=list(OPEN_STATUSES), assignee__isnull=True)
            .annotate(since=Subquery(last.values("created_at")[:1]), occ=Subquery(last.values("pk")[:1]))
            .filter(Q(since__lte=threshold) | Q(since__isnull=True, created_at__lte=threshold))
        )
    else:  # open without update: the occurrence is the last event, so each quiet spell acts once
        last = TicketEvent.objects.filter(ticket=OuterRef("pk")).order_by("-pk")
        found = tickets.filter(status__in=[Status.NEW, Status.OPEN], updated_at__lte=threshold).annotate(
            occ=Subquery(last.values("pk")[:1])
        )
    found = found.annotate(
        occ_key=Coalesce(Concat(Value("e"), Cast("occ", CharField())), Value("c"), output_field=CharField())
    )
    done = TimeRuleRun.objects.filter(rule=rule, ticket_id=OuterRef("pk"), occurrence=OuterRef("occ_key"))
    return found.exclude(Exists(done))


def run_rule(rule: TimeRule) -> int:
    acted = 0
    bot = actions.bot()
    tickets = _candidates(rule).select_related(
        "customer", "customer__organisation", "team", "category", "assignee"
    )
    last_pk = 0
    while True:
        page = list(tickets.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
        if not page:
            return acted
        last_pk = page[-1].pk
        acted += sum(_act(rule, ticket, bot) for ticket in page)


def _act(rule: TimeRule, ticket: Any, bot: Any) -> int:
    """Run the rule's actions on one ticket once for this occurrence; 1 if it acted now."""
    if rule.conditions and not rules.matches(rule.conditions, rules.facts(ticket)):
        return 0
    key = ticket.occ_key
    try:
        with transaction.atomic():
            TimeRuleRun.objects.create(rule=rule, ticket_id=ticket.pk, occurrence=key)
            actions.apply_current(
                ticket, rule.actions, by=bot, dedupe=f"r{rule.pk}:{ticket.pk}:{key}", source=rule.kind
            )
    except IntegrityError:
        return 0  # another worker claimed this (rule, ticket, occurrence) first
    except DomainError as err:
        log.warning("time rule %s failed on ticket %s: %s", rule.pk, ticket.pk, err.message)
        try:
            with transaction.atomic():
                TimeRuleRun.objects.create(
                    rule=rule,
                    ticket_id=ticket.pk,
                    occurrence=key,
                    status=RunStatus.FAILED,
                    reason=err.message[:300],
                )
        except IntegrityError:
            pass
        return 0
    return 1


def sweep() -> int:
    """One pass over every active rule; returns how many (rule, ticket) pairs acted now."""
    return sum(run_rule(rule) for rule in TimeRule.objects.filter(active=True).order_by("position", "id"))
