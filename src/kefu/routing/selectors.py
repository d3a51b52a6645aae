"""Reads of the routing app (views, API, analytics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from kefu.accounts.models import Role, User
from kefu.core import businesstime as bt
from kefu.core import extensions
from kefu.core.clock import now
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.states import OPEN_STATUSES

from .models import (
    AgentLoad,
    AgentStatus,
    AssignmentLog,
    AssignmentRule,
    KeywordRule,
    SuggestionState,
    TriageModel,
    TriagePrediction,
)


def can_manage(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)
    )


def repeat_dispatch_rate(*, since: datetime | None = None, until: datetime | None = None) -> dict[str, float]:
    """重复派单率: tickets first assigned in the period that were assigned more than once / tickets
    first assigned in it — the registered metric `repeat_dispatch_rate` (routing.metrics), not a
    second computation of it."""
    from .metrics import counts

    assigned, repeated = counts(since, until)
    return {"assigned": assigned, "repeated": repeated, "rate": (repeated / assigned) if assigned else 0.0}


def list_models(field: str | None = None) -> QuerySet[TriageModel]:
    qs = TriageModel.objects.defer("blob")
    return qs.filter(field=field) if field else qs


def active_models() -> list[TriageModel]:
    return list(TriageModel.objects.defer("blob").filter(is_active=True).order_by("field"))


def predictions_for(ticket_id: int) -> list[TriagePrediction]:
    return list(TriagePrediction.objects.filter(ticket_id=ticket_id).order_by("field"))


def suggestions_for(ticket_id: int) -> list[TriagePrediction]:
    return [p for p in predictions_for(ticket_id) if p.state == SuggestionState.SUGGESTED]


def list_keyword_rules() -> QuerySet[KeywordRule]:
    return KeywordRule.objects.all()


def list_assignment_rules() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("team", "skill")


def list_agents_with_status(agent_ids: list[int] | None = None) -> list[tuple[User, AgentStatus | None]]:
    agents = User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.SENIOR_AGENT)).exclude(
        username="kefu-bot"
    )
    if agent_ids is not None:
        agents = agents.filter(pk__in=agent_ids)
    agents = list(agents.prefetch_related("teams").order_by("username"))
    statuses = {s.agent_id: s for s in AgentStatus.objects.filter(agent__in=agents)}
    return [(a, statuses.get(a.pk)) for a in agents]


def calendars_of(agents: list[User]) -> dict[int, bt.Calendar]:
    """Each agent's business calendar (their first team's by name, else the default one, else
    office hours): two queries for any number of agents."""
    resolve = bt.team_calendars()
    teams: dict[int, list[int]] = {a.pk: [] for a in agents}
    memberships = User.teams.through.objects.filter(user_id__in=list(teams)).order_by("team__name", "team_id")
    for user_id, team_id in memberships.values_list("user_id", "team_id"):
        teams[user_id].append(team_id)
    return {pk: resolve(team_ids) for pk, team_ids in teams.items()}


@dataclass(frozen=True)
class WorkDay:
    works: bool
    note: str  # why not, or why a weekend day works: "National Day", "调休"…


def working_today(agents: list[tuple[User, AgentStatus | None]]) -> dict[int, WorkDay]:
    """Whether each agent works today by their calendar and weekdays (the availability page)."""
    calendars = calendars_of([a for a, _s in agents])
    duty = extensions.on_duty([a.pk for a, _s in agents], now())  # the published roster, if any
    out = {}
    for agent, status in agents:
        cal = calendars[agent.pk]
        day = now().astimezone(cal.zone).date()
        info = bt.day_info(cal, day)
        works = duty.get(agent.pk, bt.works_on(cal, day, status.working_days if status else ""))
        out[agent.pk] = WorkDay(works, info.title if info.kind in ("holiday", "makeup") else "")
    return out


def assignment_log(ticket_id: int) -> QuerySet[AssignmentLog]:
    return AssignmentLog.objects.filter(ticket_id=ticket_id).select_related("agent", "rule")


@dataclass(frozen=True)
class Workload:
    assigned_today: int = 0  # new tickets routed to the agent on `day` (counts toward the daily cap)
    open_tickets: int = 0
    open_chats: int = 0


def agent_workload(agent_ids: list[int], *, day: date) -> dict[int, Workload]:
    """Two queries whatever the number of agents: the day's routing counts and the open work."""
    loads = dict(
        AgentLoad.objects.filter(agent_id__in=agent_ids, day=day).values_list("agent_id", "assigned")
    )
    work = {
        row["assignee_id"]: row
        for row in Ticket.objects.filter(
            assignee_id__in=agent_ids, status__in=OPEN_STATUSES, merged_into__isnull=True
        )
        .values("assignee_id")
        .annotate(n=Count("id"), chats=Count("id", filter=Q(channel=Channel.CHAT)))
    }
    return {
        pk: Workload(loads.get(pk, 0), work.get(pk, {}).get("n", 0), work.get(pk, {}).get("chats", 0))
        for pk in agent_ids
    }
