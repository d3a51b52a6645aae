"""Use cases of the workforce app: shift patterns, rosters and their shifts, publishing, swaps, promotions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, Team, User

from . import selectors
from .errors import PermissionDenied, RosterConflicts, StaleRoster, ValidationFailed
from .models import PromotionDay, Roster, RosterEntry, RosterState, ShiftPattern, SwapRequest, SwapState

ROSTERABLE = (Role.AGENT, Role.SENIOR_AGENT)


def _manager(by: User) -> None:
    if not selectors.can_manage(by):
        raise PermissionDenied(_("Only supervisors plan rosters."))


def _parse_time(value: str | time, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationFailed(_("Times are written as HH:MM."), field=field) from None


@transaction.atomic
def create_pattern(
    *,
    name: str,
    start: str | time,
    end: str | time,
    by: User | None,
    break_start: str | time | None = None,
    break_minutes: int = 0,
    channels: list[str] | None = None,
) -> ShiftPattern:
    if by is not None:
        _manager(by)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A shift pattern needs a name."), field="name")
    start_t, end_t = _parse_time(start, "start"), _parse_time(end, "end")
    if start_t == end_t:
        raise ValidationFailed(_("A shift must end at another time than it starts."), field="end")
    break_t = _parse_time(break_start, "break_start") if break_start else None
    if break_minutes < 0 or break_minutes > 180:
        raise ValidationFailed(_("A break lasts 0 to 180 minutes."), field="break_minutes")
    if break_t is not None and break_minutes:
        length = _length(start_t, end_t)
        offset = (_minutes(break_t) - _minutes(start_t)) % (24 * 60)
        if offset + break_minutes > length:
            raise ValidationFailed(_("The break must lie inside the shift."), field="break_start")
    if ShiftPattern.objects.filter(name=name).exists():
        raise ValidationFailed(_("A shift pattern with this name exists."), field="name")
    return ShiftPattern.objects.create(
        name=name,
        start=start_t,
        end=end_t,
        break_start=break_t,
        break_minutes=break_minutes if break_t else 0,
        channels=",".join(channels or []),
    )


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _length(start: time, end: time) -> int:
    return (_minutes(end) - _minutes(start)) % (24 * 60) or 24 * 60


def shift_times(
    pattern: ShiftPattern, day: date
) -> tuple[datetime, datetime, datetime | None, datetime | None]:
    """The instants of `pattern` on `day` (local time); an end at or before the start is the next day."""
    zone = timezone.get_current_timezone()
    starts = datetime.combine(day, pattern.start, tzinfo=zone)
    ends = starts + timedelta(minutes=_length(pattern.start, pattern.end))
    ends = datetime.combine(ends.date(), ends.time(), tzinfo=zone)  # wall clock, even across DST
    if pattern.break_start is None or not pattern.break_minutes:
        return starts, ends, None, None
    offset = (_minutes(pattern.break_start) - _minutes(pattern.start)) % (24 * 60)
    b = starts + timedelta(minutes=offset)
    return starts, ends, b, b + timedelta(minutes=pattern.break_minutes)


def get_or_create_roster(*, team: Team, week_start: date, by: User | None) -> Roster:
    if by is not None:
        _manager(by)
    if week_start.weekday() != 0:
        raise ValidationFailed(_("A roster week starts on a Monday."), field="week_start")
    if not 2000 <= week_start.year <= 2100:
        raise ValidationFailed(_("Choose a week between 2000 and 2100."), field="week_start")
    try:
        with transaction.atomic():
            roster, _created = Roster.objects.get_or_create(team=team, week_start=week_start)
    except IntegrityError:  # two supervisors at once
        roster = Roster.objects.get(team=team, week_start=week_start)
    return roster


def _bump(roster: Roster, version: int | None) -> None:
    """Compare-and-set on the roster's version. A published roster stays published (routing reads
    it), so a change to it is live at once."""
    qs = Roster.objects.filter(pk=roster.pk)
    if version is not None:
        qs = qs.filter(version=version)
    if not qs.update(version=roster.version + 1 if version is None else version + 1):
        raise StaleRoster(_("The roster changed meanwhile; reload it."))
    roster.refresh_from_db(fields=["version"])


@transaction.atomic
def add_shift(
    roster: Roster,
    *,
    agent: User,
    day: date,
    pattern: ShiftPattern,
    by: User | None,
    version: int | None = None,
) -> RosterEntry:
    """Put `agent` on `pattern` on `day`. Overlaps and calendar days are not refused here: they are
    conflicts shown before publishing (a draft may be untidy while it is planned)."""
    if by is not None:
        _manager(by)
    if not roster.week_start <= day < roster.week_start + timedelta(days=7):
        raise ValidationFailed(_("The day is outside the roster's week."), field="day")
    if not agent.is_active or agent.role not in ROSTERABLE:
        raise ValidationFailed(_("Only active agents are put on a roster."), field="agent")
    if not pattern.is_active:
        raise ValidationFailed(_("This shift pattern is retired."), field="pattern")
    starts, ends, b_start, b_end = shift_times(pattern, day)
    if RosterEntry.objects.filter(roster=roster, agent=agent, day=day, pattern=pattern).exists():
        raise ValidationFailed(_("This agent already has this shift on that day."), field="pattern")
    _bump(roster, version)
    return RosterEntry.objects.create(
        roster=roster,
        agent=agent,
        day=day,
        pattern=pattern,
        starts_at=starts,
        ends_at=ends,
        break_starts_at=b_start,
        break_ends_at=b_end,
    )


@transaction.atomic
def remove_shift(entry: RosterEntry, *, by: User | None) -> None:
    if by is not None:
        _manager(by)
    roster = entry.roster
    entry.delete()
    _bump(roster, None)


@transaction.atomic
def publish_roster(
    roster: Roster, *, by: User, accept_conflicts: bool = False, version: int | None = None
) -> Roster:
    """Publish the week: routing takes availability from it at once. Overlapping shifts block;
    other conflicts (calendar days, rest, intervals under the requirement or the floor) must be
    accepted explicitly — the caller has shown them first."""
    _manager(by)
    found = selectors.conflicts(roster)
    blocking = [c for c in found if c.blocking]
    if blocking or (found and not accept_conflicts):
        raise RosterConflicts(
            _("The roster has %(n)d conflict(s); resolve them or accept them to publish.") % {"n": len(found)}
            if not blocking
            else _("Overlapping shifts must be resolved before publishing."),
            conflicts=[{"kind": c.kind, "message": c.message, "blocking": c.blocking} for c in found],
        )
    qs = Roster.objects.filter(pk=roster.pk)
    if version is not None:
        qs = qs.filter(version=version)
    if not qs.update(
        state=RosterState.PUBLISHED, published_at=timezone.now(), published_by=by, version=roster.version + 1
    ):
        raise StaleRoster(_("The roster changed meanwhile; reload it."))
    roster.refresh_from_db()
    return roster


@transaction.atomic
def request_swap(
    entry: RosterEntry, *, by: User, to: User, other: RosterEntry | None = None, reason: str = ""
) -> SwapRequest:
    """The agent on a shift (or a supervisor) asks to hand it to a colleague, optionally taking one of
    the colleague's shifts in return."""
    if by.pk != entry.agent_id and not selectors.can_manage(by):
        raise PermissionDenied(_("Only the agent on the shift or a supervisor can ask for a swap."))
    if to.pk == entry.agent_id or not to.is_active or to.role not in ROSTERABLE:
        raise ValidationFailed(_("Choose another active agent."), field="to_agent")
    if other is not None and other.agent_id != to.pk:
        raise ValidationFailed(_("The shift in return must be the colleague's."), field="other_entry")
    if SwapRequest.objects.filter(entry=entry, state=SwapState.PENDING).exists():
        raise ValidationFailed(_("This shift already has a swap waiting for approval."), field="entry")
    return SwapRequest.objects.create(
        entry=entry, other_entry=other, requested_by=by, to_agent=to, reason=(reason or "")[:200]
    )


@transaction.atomic
def decide_swap(swap: SwapRequest, *, by: User, approve: bool) -> SwapRequest:
    """A supervisor approves (the shifts change hands, if that leaves nobody on two shifts at once)
    or rejects. Decided once: a second decision answers 409."""
    _manager(by)
    if approve:
        entry, other = swap.entry, swap.other_entry
        _check_free(swap.to_agent_id, entry, ignore=other)
        if other is not None:
            _check_free(entry.agent_id, other, ignore=entry)
    decided = SwapRequest.objects.filter(pk=swap.pk, state=SwapState.PENDING).update(
        state=SwapState.APPROVED if approve else SwapState.REJECTED, decided_by=by, decided_at=timezone.now()
    )
    if not decided:
        raise StaleRoster(_("This swap was already decided."), code="already_decided")
    if approve:
        giver = swap.entry.agent_id
        RosterEntry.objects.filter(pk=swap.entry_id).update(agent_id=swap.to_agent_id)
        if swap.other_entry_id:
            RosterEntry.objects.filter(pk=swap.other_entry_id).update(agent_id=giver)
        _bump(swap.entry.roster, None)
    swap.refresh_from_db()
    return swap


def _check_free(agent_id: int, entry: RosterEntry, *, ignore: RosterEntry | None) -> None:
    clash = RosterEntry.objects.filter(
        agent_id=agent_id, starts_at__lt=entry.ends_at, ends_at__gt=entry.starts_at
    )
    if ignore is not None:
        clash = clash.exclude(pk=ignore.pk)
    if clash.exists():
        raise ValidationFailed(_("The colleague already works at that time."), field="to_agent")


@transaction.atomic
def save_promotion(
    *, name: str, on: date, uplift: float, recurring: bool = True, by: User | None
) -> PromotionDay:
    if by is not None:
        _manager(by)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A promotion needs a name."), field="name")
    if not 0.1 <= uplift <= 20:
        raise ValidationFailed(_("The uplift factor lies between 0.1 and 20."), field="uplift")
    promo, _created = PromotionDay.objects.update_or_create(
        name=name, on=on, defaults={"uplift": uplift, "recurring": recurring}
    )
    return promo
