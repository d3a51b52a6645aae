"""Reads of the workforce app: access, the week's roster grid, conflicts, who is on duty."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, Team, User
from kefu.core import businesstime as bt
from kefu.core.clock import now

from . import config
from .errors import NotFound
from .models import Roster, RosterEntry, RosterState, ShiftPattern, SwapRequest, SwapState
from .requirement import INTERVAL, Need, needs


def can_work(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(can_work(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def checked_week(day: date) -> date:
    """The Monday of `day`'s week; a week far outside 2000–2100 is refused (not a date overflow)."""
    if not 2000 <= day.year <= 2100:
        from .errors import ValidationFailed

        raise ValidationFailed(_("Choose a week between 2000 and 2100."), field="week")
    return monday_of(day)


def local_today() -> date:
    return timezone.localdate(now())


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(week_start, time(0), tzinfo=zone),
        datetime.combine(week_start + timedelta(days=7), time(0), tzinfo=zone),
    )


def list_patterns() -> QuerySet[ShiftPattern]:
    return ShiftPattern.objects.filter(is_active=True)


def visible_rosters(user: Any) -> QuerySet[Roster]:
    """Supervisors see every roster; an agent sees the published rosters of their teams."""
    if not can_work(user):
        return Roster.objects.none()
    qs = Roster.objects.select_related("team", "published_by")
    if can_manage(user):
        return qs
    return qs.filter(state=RosterState.PUBLISHED, team__in=user.teams.all())


def access_roster(user: Any, roster_id: int) -> Roster:
    roster = visible_rosters(user).filter(pk=roster_id).first()
    if roster is None:
        raise NotFound(_("Roster not found."))
    return roster


def access_swap(user: Any, swap_id: int) -> SwapRequest:
    qs = SwapRequest.objects.select_related("entry__roster", "entry__agent", "to_agent", "requested_by")
    swap = qs.filter(pk=swap_id).first()
    if swap is None or not (can_manage(user) or user.pk in (swap.requested_by_id, swap.to_agent_id)):
        raise NotFound(_("Swap request not found."))
    return swap


def list_swaps(user: Any, *, pending: bool = True) -> list[SwapRequest]:
    if not can_work(user):
        return []
    qs = SwapRequest.objects.select_related("entry__agent", "entry__pattern", "to_agent", "requested_by")
    if pending:
        qs = qs.filter(state=SwapState.PENDING)
    if not can_manage(user):
        qs = qs.filter(requested_by=user) | qs.filter(to_agent=user)
    return list(qs[:200])


def team_members(team_id: int) -> list[User]:
    return list(
        User.objects.filter(teams=team_id, is_active=True, role__in=(Role.AGENT, Role.SENIOR_AGENT))
        .exclude(username="kefu-bot")
        .order_by("username")
    )


# --------------------------------------------------------------------------- the week grid


@dataclass
class GridRow:
    agent: User
    days: list[list[RosterEntry]] = field(default_factory=list)
    shifts: int = 0


def roster_grid(roster: Roster) -> tuple[list[date], list[GridRow]]:
    """Agents (the team's and anyone with a shift) × the 7 days, each cell the day's shifts."""
    days = [roster.week_start + timedelta(days=i) for i in range(7)]
    entries = list(roster.entries.select_related("agent", "pattern").order_by("starts_at"))
    rows: dict[int, GridRow] = {a.pk: GridRow(a, [[] for _d in days]) for a in team_members(roster.team_id)}
    for entry in entries:
        row = rows.setdefault(entry.agent_id, GridRow(entry.agent, [[] for _d in days]))
        row.days[(entry.day - roster.week_start).days].append(entry)
        row.shifts += 1
    return days, sorted(rows.values(), key=lambda r: r.agent.username)


# --------------------------------------------------------------------------- who is on duty


def _working(entry: RosterEntry, at: datetime) -> bool:
    if not entry.starts_at <= at < entry.ends_at:
        return False
    return not (entry.break_starts_at and entry.break_starts_at <= at < entry.break_ends_at)


def duty(agent_ids: list[int], at: datetime) -> dict[int, bool]:
    """The roster's answer for routing (registered in `core.extensions`): for the agents a published
    roster of this week covers (members of its team, or with a shift in it), whether a shift — not
    its break — holds `at`. Three queries for any number of agents."""
    day = timezone.localdate(at)
    rosters = list(
        Roster.objects.filter(
            state=RosterState.PUBLISHED, week_start__lte=day, week_start__gt=day - timedelta(days=7)
        ).values_list("pk", "team_id")
    )
    if not rosters:
        return {}
    team_ids = {team for _pk, team in rosters}
    covered = set(
        User.teams.through.objects.filter(team_id__in=team_ids, user_id__in=agent_ids).values_list(
            "user_id", flat=True
        )
    )
    entries = RosterEntry.objects.filter(
        roster__state=RosterState.PUBLISHED,
        agent_id__in=agent_ids,
        starts_at__lte=at,
        ends_at__gt=at - timedelta(seconds=1),
    )
    on = set()
    for entry in entries:
        covered.add(entry.agent_id)
        if _working(entry, at):
            on.add(entry.agent_id)
    return {pk: pk in on for pk in covered}


def on_duty_counts(entries: Iterable[RosterEntry], slots: Iterable[datetime]) -> dict[datetime, int]:
    """How many distinct agents work at the middle of each half-hour."""
    entries = list(entries)
    out = {}
    for start in slots:
        mid = start + timedelta(seconds=INTERVAL // 2)
        out[start] = len({e.agent_id for e in entries if _working(e, mid)})
    return out


def week_entries(week_start: date, *, include: Roster | None = None) -> list[RosterEntry]:
    """The shifts that count for a week: published rosters, plus `include` (a draft being checked)."""
    start, end = week_bounds(week_start)
    qs = RosterEntry.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related("agent", "pattern")
    published = list(qs.filter(roster__state=RosterState.PUBLISHED).exclude(roster=include))
    return published + (list(qs.filter(roster=include)) if include else [])


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class RosterConflict:
    kind: str  # overlap / outside_calendar / rest / consecutive_days / under_required
    message: str
    blocking: bool = False  # overlap: cannot be published at all
    agent_id: int | None = None
    day: date | None = None


def _ranges(items: list[tuple[datetime, int, int]]) -> list[tuple[datetime, datetime, int, int]]:
    """Consecutive half-hours with the same (on duty, required) joined into one span."""
    out: list[list] = []
    for start, on, need in items:
        if (
            out
            and start - out[-1][1] == timedelta(seconds=INTERVAL)
            and (out[-1][2], out[-1][3]) == (on, need)
        ):
            out[-1][1] = start
        else:
            out.append([start, start, on, need])
    return [(a, b + timedelta(seconds=INTERVAL), on, need) for a, b, on, need in out]


def conflicts(roster: Roster) -> list[RosterConflict]:
    """Everything a supervisor must see before publishing: overlapping shifts of one agent, a shift
    on a day the team's calendar does not work (a 7×24 calendar works every day), too little rest
    or too many days in a row, and half-hours with fewer agents on duty than required (incl. the
    peak floor)."""
    cfg = config.get()
    zone = timezone.get_current_timezone()
    found: list[RosterConflict] = []
    mine = list(roster.entries.select_related("agent", "pattern").order_by("starts_at"))
    agents = {e.agent_id for e in mine}
    # this roster's agents' shifts from the week before to the week after (any roster), for overlaps and rest
    around = list(
        RosterEntry.objects.filter(
            agent_id__in=agents,
            starts_at__gte=week_bounds(roster.week_start - timedelta(days=7))[0],
            starts_at__lt=week_bounds(roster.week_start + timedelta(days=7))[1],
        )
        .filter(roster__state=RosterState.PUBLISHED)
        .exclude(roster=roster)
        .select_related("agent", "pattern")
    )
    by_agent: dict[int, list[RosterEntry]] = defaultdict(list)
    for e in mine + around:
        by_agent[e.agent_id].append(e)
    min_rest = timedelta(hours=cfg["min_rest_hours"])
    for _agent_id, shifts in sorted(by_agent.items()):
        shifts.sort(key=lambda e: e.starts_at)
        for prev, nxt in zip(shifts, shifts[1:], strict=False):
            if prev.roster_id != roster.pk and nxt.roster_id != roster.pk:
                continue
            name = nxt.agent.name
            if nxt.starts_at < prev.ends_at:
                found.append(
                    RosterConflict(
                        "overlap",
                        _("%(agent)s has overlapping shifts on %(day)s: %(a)s and %(b)s.")
                        % {"agent": name, "day": nxt.day, "a": prev.pattern.name, "b": nxt.pattern.name},
                        blocking=True,
                        agent_id=nxt.agent_id,
                        day=nxt.day,
                    )
                )
            elif nxt.starts_at - prev.ends_at < min_rest:
                found.append(
                    RosterConflict(
                        "rest",
                        _(
                            "%(agent)s has only %(hours).1f hours of rest before the shift on %(day)s (at least %(min)s)."
                        )
                        % {
                            "agent": name,
                            "hours": (nxt.starts_at - prev.ends_at).total_seconds() / 3600,
                            "day": nxt.day,
                            "min": cfg["min_rest_hours"],
                        },
                        agent_id=nxt.agent_id,
                        day=nxt.day,
                    )
                )
        days = sorted({e.day for e in shifts})
        run, longest, last = 0, (0, None), None
        for d in days:
            run = run + 1 if last and d - last == timedelta(days=1) else 1
            last = d
            if run > longest[0]:
                longest = (run, d)
        if longest[0] > cfg["max_consecutive_days"] and longest[1] >= roster.week_start:
            found.append(
                RosterConflict(
                    "consecutive_days",
                    _(
                        "%(agent)s works %(n)d days in a row up to %(day)s (at most %(max)d): a rest day is due."
                    )
                    % {
                        "agent": shifts[0].agent.name,
                        "n": longest[0],
                        "day": longest[1],
                        "max": cfg["max_consecutive_days"],
                    },
                    agent_id=shifts[0].agent_id,
                    day=longest[1],
                )
            )
    calendar = bt.team_calendars()([roster.team_id])
    seen_days: set[date] = set()
    for e in mine:
        info = bt.day_info(calendar, e.day)
        if not info.periods and e.day not in seen_days:
            seen_days.add(e.day)
            why = info.title if info.kind == "holiday" else _("not a working day")
            found.append(
                RosterConflict(
                    "outside_calendar",
                    _("Shifts on %(day)s, which the team's calendar does not work (%(why)s).")
                    % {"day": e.day, "why": why},
                    day=e.day,
                )
            )
    start, end = week_bounds(roster.week_start)
    week = needs(start, end)
    counts = on_duty_counts(week_entries(roster.week_start, include=roster), [n.starts_at for n in week])
    short = [n for n in week if counts[n.starts_at] < n.required]
    by_day: dict[date, list[Need]] = defaultdict(list)
    for n in short:
        by_day[n.starts_at.astimezone(zone).date()].append(n)
    for d, items in sorted(by_day.items()):
        spans = _ranges([(n.starts_at, counts[n.starts_at], n.required) for n in items])
        parts = [
            _("%(a)s–%(b)s (%(on)d on duty, %(need)d required)")
            % {
                "a": a.astimezone(zone).strftime("%H:%M"),
                "b": b.astimezone(zone).strftime("%H:%M"),
                "on": on,
                "need": need,
            }
            for a, b, on, need in spans[:6]
        ] + (["…"] if len(spans) > 6 else [])
        found.append(
            RosterConflict(
                "under_required",
                _("%(day)s: under the required agents at %(ranges)s.")
                % {"day": d, "ranges": "; ".join(parts)},
                day=d,
            )
        )
    return found


# --------------------------------------------------------------------------- the staffing page


@dataclass
class WeekView:
    week_start: date
    needs: list[Need]
    on_duty: dict[datetime, int]
    run: Any = None

    @property
    def has_forecast(self) -> bool:
        return bool(self.needs)


def staffing_week(week_start: date) -> WeekView:
    from .requirement import latest_run

    start, end = week_bounds(week_start)
    run = latest_run()
    week = needs(start, end, run=run)
    counts = on_duty_counts(week_entries(week_start), [n.starts_at for n in week])
    return WeekView(week_start, week, counts, run)


def rosters_of_week(week_start: date) -> list[Roster]:
    return list(Roster.objects.filter(week_start=week_start).select_related("team").order_by("team__name"))


def teams() -> list[Team]:
    return list(Team.objects.order_by("name"))
