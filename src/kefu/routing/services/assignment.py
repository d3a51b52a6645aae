"""Assignment: ordered rules choose the eligible agents; caps are held with compare-and-set.

Order of choice: the first-contact owner (a reopened ticket, or the same customer within N days)
when available; otherwise the first matching rule's pool (team, skill, language, senior for
VIP / 高级VIP), then least open workload, then round-robin (longest since the last assignment).

Caps: the daily cap is a counter row per (agent, day) raised by one conditional UPDATE
(`… SET assigned = assigned + 1 WHERE assigned < cap`): two workers can never both take the last
slot. The concurrent-chat cap is counted after that UPDATE, which holds the agent's counter row,
so the count sees every earlier committed assignment. The ticket itself is assigned through
tickets.services.assign with the version it was read at: of two workers only one wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.core import businesstime as bt
from kefu.core import extensions
from kefu.core.clock import now
from kefu.customers.models import Tier
from kefu.routing.models import (
    AgentLoad,
    AgentStatus,
    AssignmentLog,
    AssignmentReason,
    AssignmentRule,
    Presence,
)
from kefu.routing.selectors import calendars_of
from kefu.tickets import services as tickets
from kefu.tickets.errors import StaleVersion
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.states import OPEN_STATUSES, Status

from .rules import get_settings
from .triage import bot, text_of

log = logging.getLogger("kefu.routing")
ASSIGNABLE_ROLES = (Role.AGENT, Role.SENIOR_AGENT)
SENIOR_YEARS = 3


class _Full(Exception):
    """The candidate is at a cap: roll back the counter and try the next one."""


@dataclass
class Outcome:
    agent: User | None
    reason: str
    detail: str = ""
    rule: AssignmentRule | None = None


def today() -> date:
    return timezone.localdate(now())


def is_senior(user: User) -> bool:
    return user.role == Role.SENIOR_AGENT or user.seniority >= SENIOR_YEARS


def _status_of(agents: list[User]) -> dict[int, AgentStatus]:
    return {s.agent_id: s for s in AgentStatus.objects.filter(agent_id__in=[a.pk for a in agents])}


def is_available(
    user: User,
    *,
    channel: str,
    status: AgentStatus | None = None,
    day: date | None = None,
    calendar: bt.Calendar | None = None,
    duty: dict[int, bool] | None = None,
) -> bool:
    """Working today by their calendar and not offline; a chat also needs the agent online.

    The day follows the agent's business calendar (statutory holidays off, 调休 Saturdays on,
    7×24 every day) and their own weekdays when a supervisor set them. No status row = online.
    When a published roster covers the agent (`duty`, from `extensions.on_duty`), their shift
    decides instead of the calendar and weekdays.
    """
    if not user.is_active or user.role not in ASSIGNABLE_ROLES:
        return False
    if status is None:
        status = AgentStatus.objects.filter(agent=user).first()
    if calendar is None:
        calendar = calendars_of([user])[user.pk]
    day = day or now().astimezone(calendar.zone).date()
    if duty is None:
        duty = extensions.on_duty([user.pk], now())
    if user.pk in duty:
        if not duty[user.pk]:
            return False
    elif not bt.works_on(calendar, day, status.working_days if status else ""):
        return False
    if status is None:
        return True
    if status.presence == Presence.OFFLINE:
        return False
    return not (channel == Channel.CHAT and status.presence != Presence.ONLINE)


def matching_rule(ticket: Ticket, text: str) -> AssignmentRule | None:
    for rule in AssignmentRule.objects.filter(is_active=True).select_related("team", "skill"):
        if rule.channel and rule.channel != ticket.channel:
            continue
        if rule.type and rule.type != ticket.type:
            continue
        if rule.priority and rule.priority != ticket.priority:
            continue
        if rule.tier and rule.tier != ticket.customer.tier:
            continue
        if rule.keyword and rule.keyword.lower() not in text.lower():
            continue
        return rule
    return None


def candidates(ticket: Ticket, rule: AssignmentRule | None) -> QuerySet[User]:
    """Eligible agents in the order they are tried: least open work, then longest since assigned."""
    qs = User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).exclude(username="kefu-bot")
    team = rule.team if rule and rule.team_id else ticket.team
    if team is not None:
        qs = qs.filter(teams=team)
    if rule and rule.skill_id:
        qs = qs.filter(skills=rule.skill)
    if rule and rule.language:
        qs = qs.filter(language__iexact=rule.language)
    return (
        qs.annotate(
            open_work=Count(
                "assigned_tickets",
                filter=Q(
                    assigned_tickets__status__in=OPEN_STATUSES, assigned_tickets__merged_into__isnull=True
                ),
                distinct=True,
            ),
            last_assigned=Max("routing_logs__created_at"),
        )
        .order_by("open_work", F("last_assigned").asc(nulls_first=True), "pk")
        .distinct()
    )


def caps_for(agent: User, status: AgentStatus | None) -> tuple[int, int]:
    settings_row = get_settings()
    daily = status.daily_cap if status and status.daily_cap is not None else settings_row.daily_cap
    chats = status.chat_cap if status and status.chat_cap is not None else settings_row.chat_cap
    return daily, chats


def _take_slot(agent: User, day: date, cap: int) -> bool:
    """Compare-and-set on the agent's counter: True when a slot under the cap was taken."""
    if not AgentLoad.objects.filter(agent=agent, day=day).exists():
        try:
            with transaction.atomic():
                AgentLoad.objects.create(agent=agent, day=day, assigned=0)
        except IntegrityError:
            pass  # another worker created it first
    return bool(
        AgentLoad.objects.filter(agent=agent, day=day, assigned__lt=cap).update(assigned=F("assigned") + 1)
    )


def open_chats(agent: User) -> int:
    return Ticket.objects.filter(
        assignee=agent, channel=Channel.CHAT, status__in=OPEN_STATUSES, merged_into__isnull=True
    ).count()


def try_assign(
    ticket: Ticket, agent: User, *, reason: str, detail: str = "", rule=None, event_id=None
) -> bool:
    """Give `ticket` to `agent` if the agent is under both caps and the ticket is still unassigned."""
    status = AgentStatus.objects.filter(agent=agent).first()
    daily, chat_cap = caps_for(agent, status)
    try:
        with transaction.atomic():
            if not _take_slot(agent, today(), daily):
                raise _Full("daily")
            if ticket.channel == Channel.CHAT and open_chats(agent) >= chat_cap:
                raise _Full("chat")
            fresh = Ticket.objects.filter(pk=ticket.pk).values("version", "assignee_id").first()
            if fresh is None or fresh["assignee_id"] is not None:
                raise _Full("taken")
            ticket.version = fresh["version"]
            tickets.assign(ticket, to=agent, by=bot(), version=fresh["version"])
            AssignmentLog.objects.create(
                ticket=ticket, agent=agent, rule=rule, reason=reason, detail=detail[:300], event_id=event_id
            )
    except (_Full, StaleVersion):
        return False
    return True


def previous_owner(ticket: Ticket, *, days: int) -> tuple[User | None, str]:
    """The first-contact owner of this customer's recent work (or of this very ticket)."""
    if ticket.first_contact_owner_id:
        return ticket.first_contact_owner, "first_contact"
    since = now() - timedelta(days=days)
    recent = (
        Ticket.objects.filter(customer_id=ticket.customer_id, created_at__gte=since)
        .exclude(pk=ticket.pk)
        .filter(Q(first_contact_owner__isnull=False) | Q(assignee__isnull=False))
        .select_related("first_contact_owner", "assignee")
        .order_by("-created_at", "-id")
    )
    # About the same order: that order's owner first; otherwise the customer's latest owner.
    same_order = recent.filter(order_ref=ticket.order_ref).first() if ticket.order_ref else None
    if same_order is not None:
        return same_order.first_contact_owner or same_order.assignee, "same_order"
    earlier = recent.first()
    if earlier is None:
        return None, ""
    return earlier.first_contact_owner or earlier.assignee, "returning_customer"


def auto_assign(
    ticket: Ticket, *, event_id: int | None = None, reopened: bool = False, log_refusal: bool = True
) -> Outcome:
    """Assign an unassigned ticket by the rules; logs the reason (or why nobody) in AssignmentLog.
    `log_refusal=False`: a retry of a waiting ticket, whose "nobody available" is already logged."""
    ticket = Ticket.objects.select_related("customer", "team", "first_contact_owner").get(pk=ticket.pk)
    if ticket.assignee_id is not None or ticket.merged_into_id:
        return Outcome(ticket.assignee, "already_assigned")
    settings_row = get_settings()
    if not settings_row.auto_assign:
        return Outcome(None, "auto_assign_off")
    owner, why = previous_owner(ticket, days=settings_row.first_contact_days)
    if owner is not None and is_available(owner, channel=ticket.channel):
        reason = "reopened" if reopened else why
        if try_assign(ticket, owner, reason=reason, detail=owner.name, event_id=event_id):
            return Outcome(owner, reason, owner.name)
    text = text_of(ticket)
    rule = matching_rule(ticket, text)
    if rule and rule.team_id and ticket.team_id is None:
        try:
            ticket = tickets.update_ticket(ticket, by=bot(), version=ticket.version, team=rule.team)
        except StaleVersion:
            ticket.refresh_from_db()
    pool = list(candidates(ticket, rule))
    statuses, calendars = _status_of(pool), calendars_of(pool)
    duty = extensions.on_duty([a.pk for a in pool], now())
    pool = [
        a
        for a in pool
        if is_available(
            a, channel=ticket.channel, status=statuses.get(a.pk), calendar=calendars[a.pk], duty=duty
        )
    ]
    wants_senior = (rule is not None and rule.senior_only) or ticket.customer.tier in (
        Tier.VIP,
        Tier.PREMIUM_VIP,
    )
    detail = rule.name if rule else ""
    if wants_senior:
        seniors = [a for a in pool if is_senior(a)]
        if seniors:
            pool, detail = seniors, (detail + " · " if detail else "") + _("senior agent")
    for agent in pool:
        reason = "rule" if rule else "least_busy"
        if try_assign(ticket, agent, reason=reason, detail=detail, rule=rule, event_id=event_id):
            return Outcome(agent, reason, detail, rule)
        if Ticket.objects.filter(pk=ticket.pk, assignee__isnull=False).exists():
            return Outcome(None, "taken")
    why_not = _("no eligible agent under the caps") if not pool else _("every eligible agent is at a cap")
    if not log_refusal:
        return Outcome(None, "unassigned", why_not, rule)
    AssignmentLog.objects.create(
        ticket=ticket, agent=None, rule=rule, reason="unassigned", detail=why_not, event_id=event_id
    )
    return Outcome(None, "unassigned", why_not, rule)


WAITING_DAYS = 14  # a ticket nobody could take this long ago is the supervisors' to place by hand


def _waiting() -> QuerySet[Ticket]:
    """Open tickets routing could not place ("nobody available") and nobody has taken since.
    Driven by the recent refusals, so the cost follows the waiting queue, not all tickets; a
    ticket an agent deliberately put back (no refusal after it) is left alone."""
    since = now() - timedelta(days=WAITING_DAYS)
    refused = AssignmentLog.objects.filter(reason=AssignmentReason.UNASSIGNED, created_at__gte=since)
    latest = (
        AssignmentLog.objects.filter(ticket=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("reason")[:1]
    )
    return (
        Ticket.objects.filter(
            pk__in=refused.values("ticket_id"),
            assignee__isnull=True,
            merged_into__isnull=True,
            status__in=(Status.NEW, Status.OPEN),
        )
        .annotate(last_routing=Subquery(latest))
        .filter(last_routing=AssignmentReason.UNASSIGNED)
    )


def waiting_tickets(limit: int = 200) -> list[Ticket]:
    """The waiting tickets, oldest first."""
    return list(_waiting().order_by("created_at", "id")[:limit])


def waiting_count() -> int:
    return _waiting().count()


def route_waiting(limit: int = 200) -> int:
    """Give the waiting tickets an owner now that someone may be free (came online, a new day's
    caps, a new agent). Safe on many workers at once: each assignment is a compare-and-set."""
    if not get_settings().auto_assign or not _anyone_available():
        return 0  # the night shift is empty: no need to try each waiting ticket
    placed = 0
    for ticket in waiting_tickets(limit):
        placed += auto_assign(ticket, log_refusal=False).agent is not None
    return placed


def _anyone_available() -> bool:
    agents = list(User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).exclude(username="kefu-bot"))
    statuses, calendars = _status_of(agents), calendars_of(agents)
    duty = extensions.on_duty([a.pk for a in agents], now())
    return any(
        is_available(a, channel=Channel.EMAIL, status=statuses.get(a.pk), calendar=calendars[a.pk], duty=duty)
        for a in agents
    )


def _route_waiting_soon() -> None:
    from kefu.routing.tasks import route_waiting as task

    try:
        task.delay()
    except Exception:  # broker down: the periodic run places them soon after
        log.warning("could not enqueue the waiting-ticket routing", exc_info=True)


@transaction.atomic
def set_presence(*, agent: User, presence: str) -> AgentStatus:
    """The agent's own online / away / offline switch; working days and caps stay the supervisor's."""
    from kefu.routing.errors import RuleInvalid

    if presence not in Presence.values:
        raise RuleInvalid(_("Unknown presence."), field="presence")
    status, _created = AgentStatus.objects.get_or_create(agent=agent)
    if status.presence != presence:
        status.presence = presence
        status.save(update_fields=["presence"])
        if presence == Presence.ONLINE:
            transaction.on_commit(_route_waiting_soon)
    return status


def set_status(
    *,
    agent: User,
    by: User,
    presence: str,
    working_days: str | None = None,
    daily_cap: int | None = None,
    chat_cap: int | None = None,
) -> AgentStatus:
    from kefu.core.errors import PermissionDenied
    from kefu.routing.errors import RuleInvalid

    if by.pk != agent.pk and by.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only supervisors can change another agent's availability."))
    if presence not in Presence.values:
        raise RuleInvalid(_("Unknown presence."), field="presence")
    status, _created = AgentStatus.objects.get_or_create(agent=agent)
    status.presence = presence
    if working_days is not None:
        days = "".join(sorted({d for d in working_days if d in "1234567"}))
        if not days and working_days:
            raise RuleInvalid(_("Working days are digits 1 (Monday) to 7 (Sunday)."), field="working_days")
        status.working_days = days
    if by.role in (Role.SUPERVISOR, Role.ADMIN):
        status.daily_cap, status.chat_cap = daily_cap, chat_cap
    status.save()
    return status
