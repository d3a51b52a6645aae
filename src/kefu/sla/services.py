"""Use cases of the sla app: calendars and policies (timers live in `timers.py`, the sweep in `sweep.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import SYSTEM_USERNAME, Team, User
from kefu.accounts.services import system_user
from kefu.core import businesstime as bt
from kefu.core.clock import now
from kefu.core.errors import ValidationFailed
from kefu.customers.models import Tier
from kefu.tickets.models import Channel, Priority, Ticket, TicketType

from .models import BusinessCalendar, Metric, PolicyTarget, SlaPolicy, StatutoryYear, _build

BOT_USERNAME = SYSTEM_USERNAME  # the system actor shared with routing and automation
GREEN_TAG = "绿色通道"
GREEN_SECONDS = 2 * 3600  # a solution plan within 2 hours, around the clock
OFFICE_WEEKLY = [[["09:00", "12:00"], ["13:30", "18:00"]]] * 5 + [[], []]
ALWAYS_WEEKLY = [[["00:00", "24:00"]]] * 7


def bot() -> User:
    """The system user SLA escalations are made by (accounts.services.system_user)."""
    return system_user()


# --------------------------------------------------------------------------- calendars


def _clean_weekly(weekly: Sequence[Sequence[Sequence[str]]]) -> list[list[list[str]]]:
    if len(weekly) != 7:
        raise ValidationFailed(_("A calendar has hours for each of the 7 weekdays."), field="periods")
    out = []
    for day in weekly:
        periods = []
        for period in day:
            if len(period) != 2:
                raise ValidationFailed(_("A working period has a start and an end."), field="periods")
            start, end = (str(x).strip() for x in period)
            periods.append([bt.format_hm(bt.hm(start)), bt.format_hm(bt.hm(end))])
        out.append(sorted(periods))
    return out


@transaction.atomic
def save_calendar(
    *,
    by: User | None,
    name: str,
    weekly: Sequence[Sequence[Sequence[str]]],
    tz: str = bt.DEFAULT_TZ,
    statutory: bool = True,
    holidays: Iterable[str] = (),
    workdays: Iterable[str] = (),
    is_default: bool = False,
    team: Team | None = None,
    channel: str = "",
    calendar: BusinessCalendar | None = None,
    at: datetime | None = None,
) -> BusinessCalendar:
    """Create or update a calendar. An invalid one (no hours, overlaps, end ≤ start) is refused with the reason.

    The due times of the running timers it affects move with it (`recompute.after_calendar_edit`);
    the outcome is logged as an `SlaRecompute` (also kept on the row as `row.recomputed`).
    """
    from .recompute import (
        after_calendar_edit,
        calendar_fields,
    )  # recompute builds on timers, which build on us

    old_fields: dict[str, Any] | None = None
    old_use: tuple[Any, ...] | None = None
    if calendar is not None and calendar.pk:
        old_use = (calendar.team_id, calendar.channel, calendar.is_default)
        old_fields = calendar_fields(calendar)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A calendar needs a name."), field="name")
    if channel and channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    row = calendar or BusinessCalendar()
    row.name = name[:100]
    row.tz = tz.strip() or bt.DEFAULT_TZ
    row.statutory = statutory
    row.weekly = _clean_weekly(weekly)
    row.holidays = sorted({str(d).strip() for d in holidays if str(d).strip()})
    row.workdays = sorted({str(d).strip() for d in workdays if str(d).strip()})
    row.team = team
    row.channel = channel
    row.value()  # the whole validation: raises ValidationFailed with the reason
    if BusinessCalendar.objects.filter(name=row.name).exclude(pk=row.pk).exists():
        raise ValidationFailed(_("A calendar with this name exists."), field="name")
    if is_default:
        BusinessCalendar.objects.filter(is_default=True).exclude(pk=row.pk).update(is_default=False)
    row.is_default = is_default
    row.save()
    reassigned = old_use != (row.team_id, row.channel, row.is_default) and (
        old_use is not None or bool(row.team_id or row.channel or row.is_default)
    )
    row.recomputed = after_calendar_edit(  # type: ignore[attr-defined]
        row, old_fields=old_fields, by=by, reassigned=reassigned, at=at
    )
    return row


def calendar_for(
    ticket: Ticket, policy: SlaPolicy | None, rows: Sequence[BusinessCalendar] | None = None
) -> BusinessCalendar | None:
    """The policy's calendar, else the ticket team's, else its channel's, else the default (None: built-in hours).

    `rows`: the calendars already read (a batch passes them once instead of a query per ticket).
    """
    if policy is not None and policy.calendar_id:
        return policy.calendar
    if rows is None:
        rows = list(BusinessCalendar.objects.all()[:200])
    for row in rows:
        if ticket.team_id and row.team_id == ticket.team_id:
            return row
    for row in rows:
        if row.channel and row.channel == ticket.channel:
            return row
    return next((row for row in rows if row.is_default), None)


def calendar_value(row: BusinessCalendar | None) -> bt.Calendar:
    return row.value() if row is not None else bt.OFFICE


def team_calendars() -> bt.TeamCalendars:
    """Registered in core.businesstime for routing: the calendar a set of teams works by — the
    first of those teams that has one, else the default calendar, else the built-in office hours.
    The rows are read once per resolver, so a batch of agents costs one query."""
    rows = list(BusinessCalendar.objects.all()[:200])
    by_team = {row.team_id: row for row in reversed(rows) if row.team_id}
    default = next((row for row in rows if row.is_default), None)

    def resolve(team_ids: Sequence[int]) -> bt.Calendar:
        row = next((by_team[t] for t in team_ids if t in by_team), default)
        try:
            return calendar_value(row)
        except ValidationFailed:  # a row saved before a rule existed: fall back, never fail routing
            return bt.OFFICE

    return resolve


# --------------------------------------------------------------------------- statutory days entered by hand

HOLIDAY, MAKEUP = "holiday", "makeup"
NOTICE_WARNING_DAYS = 60  # supervisors are asked for next year's notice this long before it starts


@dataclass(frozen=True)
class NoticeDay:
    day: date
    name: str = ""


@transaction.atomic
def save_statutory_year(
    *,
    by: User | None,
    year: int,
    holidays: Sequence[NoticeDay],
    workdays: Sequence[NoticeDay] = (),
    notice: str = "",
) -> StatutoryYear:
    """Enter (or correct) the State Council's holiday notice for a year chinese-calendar does not
    know: its days off and its make-up workdays (调休), each with the holiday's name. Every business
    calendar with statutory days uses them from now on, routing's working days included, until an
    update of the package knows the year (its data then wins).

    Refused with the reason: a year the package already knows, a year other than this one or the
    next, no holiday at all, a day outside the year, a day both off and worked, a make-up workday
    that is not a Saturday or a Sunday."""
    year = int(year)
    known = bt.last_statutory_year()
    if year <= known:
        raise ValidationFailed(
            _("chinese-calendar already knows the holidays of %(year)s (up to %(known)s): its data applies.")
            % {"year": year, "known": known},
            field="year",
        )
    this_year = now().year
    if year > this_year + 1:
        raise ValidationFailed(
            _("Only the notice of this year or the next can be entered (%(a)s or %(b)s).")
            % {"a": this_year, "b": this_year + 1},
            field="year",
        )
    if not holidays:
        raise ValidationFailed(_("A notice names at least one holiday."), field="holidays")
    for entry in [*holidays, *workdays]:
        if entry.day.year != year:
            raise ValidationFailed(
                _("%(day)s is not in %(year)s.") % {"day": entry.day.isoformat(), "year": year}, field="days"
            )
    both = sorted({h.day for h in holidays} & {w.day for w in workdays})
    if both:
        raise ValidationFailed(
            _("%(day)s is both a holiday and a make-up workday.") % {"day": both[0].isoformat()}, field="days"
        )
    for entry in workdays:
        if entry.day.weekday() < 5:
            raise ValidationFailed(
                _("%(day)s is a weekday: a make-up workday (调休) is a Saturday or a Sunday.")
                % {"day": entry.day.isoformat()},
                field="workdays",
            )
    days: dict[date, dict[str, str]] = {}
    for kind, entries in ((HOLIDAY, holidays), (MAKEUP, workdays)):
        for entry in entries:
            days[entry.day] = {
                "day": entry.day.isoformat(),
                "kind": kind,
                "name": (entry.name or "").strip()[:40] or str(_("Public holiday")),
            }
    row, _created = StatutoryYear.objects.update_or_create(
        year=year,
        defaults={
            "days": [days[d] for d in sorted(days)],
            "notice": (notice or "").strip()[:200],
            "entered_by": by if by is not None and by.pk else None,
        },
    )
    statutory_days_changed()
    transaction.on_commit(statutory_days_changed)  # and once more with what other connections see
    return row


def statutory_days_changed() -> None:
    """Forget what was read of the entered days: core's copy and every cached working interval."""
    bt.invalidate_statutory_days()
    _build.cache_clear()


def entered_statutory_days() -> dict[date, tuple[str, str]]:
    """Registered in core.businesstime: the entered days of the years the package does not know."""
    from django.db import DatabaseError

    known = bt.last_statutory_year()
    try:
        with transaction.atomic():  # a savepoint: a failure here must not break the caller's transaction
            rows = list(StatutoryYear.objects.filter(year__gt=known).values_list("days", flat=True))
    except DatabaseError:  # the table is not there yet (before migrate): no entered days
        return {}
    out: dict[date, tuple[str, str]] = {}
    for days in rows:
        for entry in days or []:
            try:
                out[date.fromisoformat(entry["day"])] = (entry["kind"], entry.get("name") or "")
            except (KeyError, TypeError, ValueError):
                continue  # a hand-edited row: skip the bad entry, keep the rest
    return out


def missing_statutory_year(today: date | None = None) -> int | None:
    """The year whose notice supervisors should enter now: this year, or from 60 days before it the
    next one, when the package does not know it and nobody has entered it. None when all is known."""
    today = today or now().date()
    known = bt.last_statutory_year()
    entered = set(StatutoryYear.objects.filter(year__gt=known).values_list("year", flat=True))
    for year in (today.year, today.year + 1):
        soon = date(year, 1, 1) - today <= timedelta(days=NOTICE_WARNING_DAYS)
        if year > known and year not in entered and soon:
            return year
    return None


# --------------------------------------------------------------------------- policies

CONDITION_CHOICES: dict[str, list[str]] = {
    "channels": list(Channel.values),
    "types": list(TicketType.values),
    "priorities": list(Priority.values),
    "tiers": list(Tier.values),
}


@dataclass
class TargetSpec:
    metric: str
    seconds: int
    business_time: bool = True
    channel: str = ""


@transaction.atomic
def save_policy(
    *,
    by: User | None,
    name: str,
    targets: Sequence[TargetSpec],
    position: int = 100,
    active: bool = True,
    channels: Sequence[str] = (),
    types: Sequence[str] = (),
    priorities: Sequence[str] = (),
    tiers: Sequence[str] = (),
    team_ids: Sequence[int] = (),
    calendar: BusinessCalendar | None = None,
    pause_on_hold: bool = True,
    warn_percent: int = 80,
    notify_on_breach: bool = True,
    raise_priority_on_breach: bool = False,
    reassign_on_breach: bool = False,
    policy: SlaPolicy | None = None,
    at: datetime | None = None,
) -> SlaPolicy:
    """Create or update a policy with its targets; unknown condition values are refused with the field.

    The running timers of the open tickets it covers (or covered) are retargeted at once, keeping
    the time already spent (`recompute.after_policy_edit`); the outcome is logged as an
    `SlaRecompute` (also kept on the row as `row.recomputed`).
    """
    old_cover = _coverage(policy) if policy is not None and policy.pk else None
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A policy needs a name."), field="name")
    conditions = {"channels": channels, "types": types, "priorities": priorities, "tiers": tiers}
    for field, values in conditions.items():
        bad = [v for v in values if v not in CONDITION_CHOICES[field]]
        if bad:
            raise ValidationFailed(_("Unknown value %(v)s.") % {"v": bad[0]}, field=field)
    team_ids = sorted({int(t) for t in team_ids})
    if team_ids and Team.objects.filter(pk__in=team_ids).count() != len(team_ids):
        raise ValidationFailed(_("Unknown team."), field="team_ids")
    if not 1 <= int(warn_percent) <= 99:
        raise ValidationFailed(_("Warn between 1 and 99 percent of the target."), field="warn_percent")
    if not targets:
        raise ValidationFailed(_("A policy needs at least one target."), field="targets")
    seen = set()
    for target in targets:
        if target.metric not in Metric.values:
            raise ValidationFailed(_("Unknown metric."), field="targets")
        if target.channel and target.channel not in Channel.values:
            raise ValidationFailed(_("Unknown channel."), field="targets")
        if not 0 < int(target.seconds) <= 366 * 86400:
            raise ValidationFailed(_("A target lies between 1 second and a year."), field="targets")
        if (target.metric, target.channel) in seen:
            raise ValidationFailed(_("A metric is given twice."), field="targets")
        seen.add((target.metric, target.channel))
    if SlaPolicy.objects.filter(name=name).exclude(pk=policy.pk if policy else None).exists():
        raise ValidationFailed(_("A policy with this name exists."), field="name")
    row = policy or SlaPolicy()
    values: dict[str, Any] = {
        "name": name[:100],
        "position": int(position),
        "active": active,
        "channels": sorted(set(channels)),
        "types": sorted(set(types)),
        "priorities": sorted(set(priorities)),
        "tiers": sorted(set(tiers)),
        "team_ids": team_ids,
        "calendar": calendar,
        "pause_on_hold": pause_on_hold,
        "warn_percent": int(warn_percent),
        "notify_on_breach": notify_on_breach,
        "raise_priority_on_breach": raise_priority_on_breach,
        "reassign_on_breach": reassign_on_breach,
    }
    for key, value in values.items():
        setattr(row, key, value)
    row.save()
    row.targets.all().delete()
    PolicyTarget.objects.bulk_create(
        PolicyTarget(
            policy=row,
            metric=t.metric,
            seconds=int(t.seconds),
            business_time=t.business_time,
            channel=t.channel,
        )
        for t in targets
    )
    from .recompute import after_policy_edit  # recompute builds on timers, which build on this module

    row.recomputed = after_policy_edit(  # type: ignore[attr-defined]
        row, by=by, rematch=old_cover != _coverage(row), at=at
    )
    return row


def _coverage(policy: SlaPolicy) -> tuple[Any, ...]:
    """What decides which tickets a policy takes: a change here may move tickets between policies."""
    return (
        policy.active,
        policy.position,
        sorted(policy.channels or []),
        sorted(policy.types or []),
        sorted(policy.priorities or []),
        sorted(policy.tiers or []),
        sorted(policy.team_ids or []),
    )


def policy_matches(policy: SlaPolicy, ticket: Ticket, tier: str) -> bool:
    return (
        (not policy.channels or ticket.channel in policy.channels)
        and (not policy.types or ticket.type in policy.types)
        and (not policy.priorities or ticket.priority in policy.priorities)
        and (not policy.tiers or tier in policy.tiers)
        and (not policy.team_ids or ticket.team_id in policy.team_ids)
    )


def active_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(active=True).select_related("calendar").prefetch_related("targets"))


def match_policy(ticket: Ticket, policies: Sequence[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy (by position) whose conditions the ticket meets.

    `policies`: `active_policies()` already read (a batch passes them once instead of a query per ticket).
    """
    tier = ticket.customer.tier if ticket.customer_id else Tier.REGULAR
    for policy in active_policies() if policies is None else policies:
        if policy_matches(policy, ticket, tier):
            return policy
    return None


def is_green(ticket: Ticket) -> bool:
    """The green channel (绿色通道): urgent priority, or the tag 绿色通道."""
    if ticket.priority == Priority.URGENT:
        return True
    return ticket.tags.filter(name=GREEN_TAG).exists()


# --------------------------------------------------------------------------- defaults of the plans

WORKDAY = int(7.5 * 3600)  # 9:00–12:00 + 13:30–18:00


def install_defaults() -> None:
    """The calendars and policies of the work plans; idempotent (existing rows by name are kept)."""
    aftersales = Team.objects.filter(name="售后服务").first()
    if not BusinessCalendar.objects.filter(name="售后服务工作日").exists():
        save_calendar(
            by=None,
            name="售后服务工作日",
            weekly=OFFICE_WEEKLY,
            statutory=True,
            is_default=not BusinessCalendar.objects.filter(is_default=True).exists(),
            team=aftersales,
        )
    if not BusinessCalendar.objects.filter(name="在线客服 7×24").exists():
        save_calendar(
            by=None, name="在线客服 7×24", weekly=ALWAYS_WEEKLY, statutory=False, channel=Channel.CHAT
        )
    chat = BusinessCalendar.objects.get(name="在线客服 7×24")
    plans = [
        (
            "在线咨询：30 秒首次回复",
            10,
            {"channels": [Channel.CHAT], "calendar": chat},
            [
                TargetSpec(Metric.FIRST_RESPONSE, 30, business_time=False),
                TargetSpec(Metric.NEXT_RESPONSE, 60, business_time=False),
                TargetSpec(Metric.RESOLUTION, 24 * 3600, business_time=False),
            ],
        ),
        (
            "投诉：1 小时内确认",
            20,
            {
                "types": [TicketType.COMPLAINT],
                "raise_priority_on_breach": True,
                "reassign_on_breach": True,
            },
            [
                TargetSpec(Metric.ACKNOWLEDGEMENT, 3600),
                TargetSpec(Metric.FIRST_RESPONSE, 2 * 3600),
                TargetSpec(Metric.NEXT_RESPONSE, 4 * 3600),
                TargetSpec(Metric.RESOLUTION, 24 * 3600, business_time=False),
            ],
        ),
        (
            "VIP 客户",
            30,
            {"tiers": [Tier.VIP, Tier.PREMIUM_VIP], "reassign_on_breach": True},
            [
                TargetSpec(Metric.FIRST_RESPONSE, 3600),
                TargetSpec(Metric.NEXT_RESPONSE, 2 * 3600),
                TargetSpec(Metric.RESOLUTION, 24 * 3600, business_time=False),
            ],
        ),
        (
            "标准：2 小时首次响应，3 个工作日解决",
            100,
            {},
            [
                TargetSpec(Metric.FIRST_RESPONSE, 2 * 3600),
                TargetSpec(Metric.NEXT_RESPONSE, 4 * 3600),
                TargetSpec(Metric.RESOLUTION, 3 * WORKDAY),
            ],
        ),
    ]
    for name, position, options, targets in plans:
        if not SlaPolicy.objects.filter(name=name).exists():
            save_policy(by=None, name=name, position=position, targets=targets, **options)  # type: ignore[arg-type]
