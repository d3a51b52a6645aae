"""The weekly QA sample: last week's (Monday–Sunday, local time) solved tickets per agent.

Per agent (the ticket's assignee): a seeded random share — `sample_percent` % of what they solved,
at least `sample_min` (all of it when they solved fewer) — plus EVERY ticket solved last week that
- has a low CSAT answer (≤ `low_csat_max`), or whose low CSAT answer arrived last week,
- is a complaint (care recorded one for it, or its type is complaint),
- was reopened (a status change from solved/closed back to open),
- is among a new hire's first `new_hire_tickets` solved tickets (new hire: seniority 0).

The week's `SamplingRun` row is unique: several workers starting the job in the same week act once
(B5) — the loser's insert fails on the unique key and it returns 0. Everything is one transaction,
so a worker that dies halfway leaves no run behind and the next start does the week.

Samples go to the active QA reviewers in turn, least loaded first, never to the agent themselves;
without any QA reviewer they stay unassigned (supervisors see them).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from kefu.accounts.models import Role, User
from kefu.care.models import Complaint
from kefu.core.clock import now
from kefu.core.metrics import local_zone
from kefu.feedback.models import Survey
from kefu.tickets.models import EventKind, Ticket, TicketEvent, TicketType
from kefu.tickets.states import DONE_STATUSES, Status

from . import config
from .models import Sample, SampleReason, SamplingRun


def week_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def last_week() -> date:
    return week_of(now().astimezone(local_zone()).date()) - timedelta(days=7)


def bounds(week: date) -> tuple[datetime, datetime]:
    start = datetime.combine(week, time.min, tzinfo=local_zone())
    return start, start + timedelta(days=7)


def rank(ticket_id: int, week: date) -> bytes:
    return hashlib.sha256(f"{config.get('sample_seed')}:{week.isoformat()}:{ticket_id}".encode()).digest()


def share(solved: int) -> int:
    """How many of an agent's `solved` tickets the random share takes."""
    wanted = max(int(config.get("sample_min")), math.ceil(solved * float(config.get("sample_percent")) / 100))
    return min(solved, wanted)


def _new_hire_firsts(agent_ids: set[int]) -> set[int]:
    hires = set(User.objects.filter(pk__in=agent_ids, seniority=0).values_list("pk", flat=True))
    limit = int(config.get("new_hire_tickets"))
    firsts: set[int] = set()
    for agent_id in hires:
        firsts.update(
            Ticket.objects.filter(assignee_id=agent_id, solved_at__isnull=False, merged_into__isnull=True)
            .order_by("solved_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
    return firsts


def pick(week: date) -> dict[int, tuple[int | None, list[str]]]:
    """{ticket id: (agent id, reasons)} of the week's sample (no writes)."""
    since, until = bounds(week)
    solved = dict(
        Ticket.objects.filter(
            solved_at__gte=since,
            solved_at__lt=until,
            status__in=DONE_STATUSES,
            merged_into__isnull=True,
            assignee__isnull=False,
        ).values_list("pk", "assignee_id")
    )
    picked: dict[int, tuple[int | None, list[str]]] = {}

    def add(ticket_id: int, agent_id: int | None, reason: str) -> None:
        entry = picked.setdefault(ticket_id, (agent_id, []))
        if reason not in entry[1]:
            entry[1].append(reason)

    per_agent: dict[int, list[int]] = defaultdict(list)
    for pk, agent_id in solved.items():
        per_agent[agent_id].append(pk)
    for agent_id, ids in per_agent.items():
        for pk in sorted(ids, key=lambda i: rank(i, week))[: share(len(ids))]:
            add(pk, agent_id, SampleReason.RANDOM)
    ids = list(solved)
    low = Q(score__lte=int(config.get("low_csat_max")))
    for pk in Survey.objects.filter(low, ticket_id__in=ids).values_list("ticket_id", flat=True):
        add(pk, solved[pk], SampleReason.LOW_CSAT)
    late = Survey.objects.filter(
        low, answered_at__gte=since, answered_at__lt=until, ticket__merged_into__isnull=True
    ).exclude(ticket_id__in=ids)
    already = set(
        Sample.objects.filter(ticket_id__in=late.values("ticket_id")).values_list("ticket_id", flat=True)
    )
    for pk, agent_id in late.values_list("ticket_id", "ticket__assignee_id"):
        if pk not in already:
            add(pk, agent_id, SampleReason.LOW_CSAT)
    complaints = set(Complaint.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    complaints |= set(
        Ticket.objects.filter(pk__in=ids, type=TicketType.COMPLAINT).values_list("pk", flat=True)
    )
    for pk in complaints:
        add(pk, solved[pk], SampleReason.COMPLAINT)
    reopened = TicketEvent.objects.filter(
        ticket_id__in=ids,
        kind=EventKind.CHANGED,
        field="status",
        old_value__in=[str(s) for s in DONE_STATUSES],
        new_value=Status.OPEN,
    ).values_list("ticket_id", flat=True)
    for pk in set(reopened):
        add(pk, solved[pk], SampleReason.REOPENED)
    for pk in _new_hire_firsts(set(per_agent)) & set(ids):
        add(pk, solved[pk], SampleReason.NEW_HIRE)
    return picked


def _reviewers() -> list[User]:
    return list(User.objects.filter(role=Role.QA, is_active=True).order_by("pk"))


def assign(picked: dict[int, tuple[int | None, list[str]]], reviewers: list[User]) -> dict[int, int | None]:
    """{ticket id: reviewer id}: in turn, least loaded first, never the agent themselves."""
    load = {r.pk: 0 for r in reviewers}
    out: dict[int, int | None] = {}
    for pk in sorted(picked, key=lambda p: (picked[p][0] or 0, p)):
        agent_id = picked[pk][0]
        choices = [r for r in load if r != agent_id]
        if not choices:
            out[pk] = None
            continue
        chosen = min(choices, key=lambda r: (load[r], r))
        load[chosen] += 1
        out[pk] = chosen
    return out


def run(*, week: date | None = None) -> int:
    """Sample `week` (a Monday; default last week) once; returns how many tickets were sampled,
    0 when the week was already sampled (by this or another worker)."""
    week = week_of(week or last_week())
    since, until = bounds(week)
    try:
        with transaction.atomic():
            started = now()
            job = SamplingRun.objects.create(week=week, started_at=started)
            picked = pick(week)
            reviewers = assign(picked, _reviewers())
            Sample.objects.bulk_create(
                [
                    Sample(
                        run=job,
                        week=week,
                        ticket_id=pk,
                        agent_id=agent_id,
                        reviewer_id=reviewers.get(pk),
                        reasons=reasons,
                        created_at=started,
                    )
                    for pk, (agent_id, reasons) in sorted(picked.items())
                ],
                ignore_conflicts=True,
            )
            job.sampled = len(picked)
            job.solved = Ticket.objects.filter(
                solved_at__gte=since, solved_at__lt=until, status__in=DONE_STATUSES, merged_into__isnull=True
            ).count()
            job.finished_at = now()
            job.save(update_fields=["sampled", "solved", "finished_at"])
    except IntegrityError:  # another worker sampled this week
        return 0
    return len(picked)
