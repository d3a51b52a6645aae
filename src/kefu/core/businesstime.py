"""Business time: working hours, breaks, Chinese statutory holidays and make-up workdays (调休).

Pure code, no database: a `Calendar` is a frozen value built from rows (see `models.py`) or by
hand, and the two functions below do the arithmetic a day at a time (never a minute at a time),
so a span of three working days costs a handful of steps and a span of a year a few hundred.

- `add_business_time(cal, start, duration)`: the instant when `duration` of working time has
  passed after `start` (a zero duration returns `start` unchanged).
- `business_time_between(cal, start, end)`: how much working time lies in [start, end).

The two are inverses: `business_time_between(cal, s, add_business_time(cal, s, d)) == d`.

Statutory days come from the `chinese-calendar` package (State Council notices, 2004 to the
last year it knows). For a year it does not know, the days a supervisor entered from the notice
count (the sla app keeps them and registers them here: `register_statutory_days`); without them,
only weekdays, custom holidays and custom workdays count — a calendar never fails because the
notice for next year is not out yet.

The maths lives in core because several apps count in business time: the sla app keeps the
calendars (rows, policies, timers) and routing asks which days an agent works (`works_on`,
`team_calendars`), without either importing the other.
"""

from __future__ import annotations

import functools
import logging
import time as _time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import ValidationFailed

log = logging.getLogger("kefu.core.businesstime")
DAY = 86400
DEFAULT_TZ = "Asia/Shanghai"
# A span is at most this many days of walking (about 30 years); beyond it the input is nonsense.
MAX_DAYS = 11000

Periods = tuple[tuple[int, int], ...]  # (start, end) seconds from local midnight, end ≤ 86400


def hm(text: str) -> int:
    """ "09:00" → seconds from midnight; "24:00" is the end of the day."""
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 3600 + int(minutes) * 60
    except ValueError:
        raise ValidationFailed(_("Times are written as HH:MM."), field="periods") from None
    if not 0 <= value <= DAY or not 0 <= int(minutes) < 60:
        raise ValidationFailed(_("Times are written as HH:MM."), field="periods")
    return value


def format_hm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class Calendar:
    """Working periods per weekday (0 = Monday), plus holidays and make-up workdays.

    `weekly[i]` is a tuple of (start, end) second-of-day pairs for weekday i. A make-up workday
    (a Saturday or Sunday the State Council or the custom list turns into a workday) works the
    hours of `makeup_weekday` (default: the first weekday with hours, usually Monday).
    """

    weekly: tuple[Periods, ...]
    tz: str = DEFAULT_TZ
    statutory: bool = True
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    makeup_weekday: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValidationFailed(_("A calendar has hours for each of the 7 weekdays."), field="periods")
        normalised = []
        for periods in self.weekly:
            ordered = tuple(sorted((int(a), int(b)) for a, b in periods))
            for start, end in ordered:
                if not (0 <= start < DAY and 0 < end <= DAY):
                    raise ValidationFailed(_("A working period must lie within one day."), field="periods")
                if end <= start:
                    raise ValidationFailed(
                        _("A working period must end after it starts (%(start)s–%(end)s).")
                        % {"start": format_hm(start), "end": format_hm(end)},
                        field="periods",
                    )
            for (_a, end), (start, _b) in zip(ordered, ordered[1:], strict=False):
                if start < end:
                    raise ValidationFailed(_("Working periods of one day overlap."), field="periods")
            normalised.append(ordered)
        object.__setattr__(self, "weekly", tuple(normalised))
        if not any(self.weekly):
            raise ValidationFailed(_("A calendar needs at least one working period."), field="periods")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(_("Unknown time zone."), field="tz") from None
        if self.makeup_weekday is None:
            first = next((i for i in range(7) if self.weekly[i]), 0)
            object.__setattr__(self, "makeup_weekday", first)
        if self.holidays & self.workdays:
            raise ValidationFailed(_("A day cannot be both a holiday and a workday."), field="days")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def always_open(self) -> bool:
        return not self.statutory and not self.holidays and all(p == ((0, DAY),) for p in self.weekly)

    @classmethod
    def office(
        cls,
        periods: Iterable[tuple[str, str]] = (("09:00", "12:00"), ("13:30", "18:00")),
        *,
        weekdays: Iterable[int] = range(5),
        **options: object,
    ) -> Calendar:
        """The same hours on the given weekdays (default Monday–Friday, 9:00–18:00 with lunch)."""
        day = tuple((hm(a), hm(b)) for a, b in periods)
        days = set(weekdays)
        return cls(weekly=tuple(day if i in days else () for i in range(7)), **options)  # type: ignore[arg-type]

    @classmethod
    def around_the_clock(cls, **options: object) -> Calendar:
        """7×24: every second counts, holidays included."""
        options.setdefault("statutory", False)
        return cls(weekly=tuple(((0, DAY),) for _ in range(7)), **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- days


HOLIDAY_NAMES = {  # chinese-calendar's English names, translated for the page
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    periods: Periods
    kind: str  # "workday", "weekend", "holiday", "makeup"
    label: str = ""

    @property
    def title(self) -> str:
        return str(HOLIDAY_NAMES.get(self.label, self.label))


# Statutory days entered by hand for years chinese-calendar does not know yet: date → ("holiday" |
# "makeup", name). The sla app, which keeps them, registers the source in its AppConfig.ready();
# core reads it once and again after `invalidate_statutory_days()` (called when a notice is saved)
# or at most ENTERED_TTL seconds later (another process saved one).
EnteredDays = Mapping[date, tuple[str, str]]
ENTERED_TTL = 60.0
_entered_source: Callable[[], EnteredDays] | None = None
_entered: tuple[float, EnteredDays] | None = None


def register_statutory_days(source: Callable[[], EnteredDays]) -> None:
    global _entered_source
    _entered_source = source
    invalidate_statutory_days()


def invalidate_statutory_days() -> None:
    """Forget the entered days and the working intervals computed with them."""
    global _entered
    _entered = None
    _intervals.cache_clear()


def entered_days() -> EnteredDays:
    global _entered
    if _entered_source is None:
        return {}
    clock = _time.monotonic()
    if _entered is None or clock - _entered[0] > ENTERED_TTL:
        try:
            days = dict(_entered_source())
        except Exception:  # noqa: BLE001 - no database here (async code, a pure test): weekdays only
            log.debug("statutory days entered by hand could not be read", exc_info=True)
            return {}  # not cached: the next call asks again
        if _entered is not None and days != _entered[1]:
            _intervals.cache_clear()
        _entered = (clock, days)
    return _entered[1]


def statutory_day(day: date) -> tuple[str, str] | None:
    """("holiday"|"makeup", name) when the State Council notice makes `day` special, else None.

    chinese-calendar decides the years it knows; later years follow the notice entered by hand."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the package does not know yet
        return entered_days().get(day)
    if on_holiday and name:
        return "holiday", str(name)
    if not on_holiday and day.weekday() >= 5:
        return "makeup", str(name or "")
    return None


def last_statutory_year() -> int:
    """The last year whose State Council notice the installed chinese-calendar knows."""
    from chinese_calendar import constants

    return max(constants.holidays).year


def day_info(cal: Calendar, day: date) -> DayInfo:
    if day in cal.holidays:
        return DayInfo(day, (), "holiday", _("custom holiday"))
    makeup = cal.weekly[cal.makeup_weekday or 0]
    if day in cal.workdays:
        return DayInfo(day, cal.weekly[day.weekday()] or makeup, "makeup", _("custom workday"))
    if cal.statutory:
        special = statutory_day(day)
        if special and special[0] == "holiday":
            return DayInfo(day, (), "holiday", special[1])
        if special and special[0] == "makeup":
            return DayInfo(day, cal.weekly[day.weekday()] or makeup, "makeup", special[1])
    periods = cal.weekly[day.weekday()]
    return DayInfo(day, periods, "workday" if periods else "weekend")


@functools.lru_cache(maxsize=8192)
def _intervals(cal: Calendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working intervals of a local day, as UTC instants (so arithmetic ignores DST quirks)."""
    zone = cal.zone
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    out = []
    for start, end in day_info(cal, day).periods:
        a = datetime.combine(day, _clock(start), tzinfo=zone)
        b = next_midnight if end >= DAY else datetime.combine(day, _clock(end), tzinfo=zone)
        a_utc, b_utc = a.astimezone(UTC), b.astimezone(UTC)
        if b_utc > a_utc:
            out.append((a_utc, b_utc))
    return tuple(out)


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _days_from(cal: Calendar, instant: datetime) -> Iterator[date]:
    day = instant.astimezone(cal.zone).date()
    for _i in range(MAX_DAYS):
        yield day
        day += timedelta(days=1)
    raise ValidationFailed(_("The span is too long for this calendar."), field="duration")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- arithmetic


def add_business_time(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of working time after `start`, in the calendar's time zone."""
    current = _aware(start, "start")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    remaining = duration
    if not remaining:
        return start
    for day in _days_from(cal, current):
        for a, b in _intervals(cal, day):
            if b <= current:
                continue
            begin = max(a, current)
            available = b - begin
            if remaining <= available:
                return (begin + remaining).astimezone(cal.zone)
            remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover - _days_from raises first


def business_time_between(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time inside [start, end); zero when end ≤ start."""
    begin, finish = _aware(start, "start"), _aware(end, "end")
    total = timedelta(0)
    if finish <= begin:
        return total
    last = finish.astimezone(cal.zone).date()
    for day in _days_from(cal, begin):
        if day > last:
            break
        for a, b in _intervals(cal, day):
            lo, hi = max(a, begin), min(b, finish)
            if hi > lo:
                total += hi - lo
    return total


def is_working_time(cal: Calendar, instant: datetime) -> bool:
    moment = _aware(instant, "instant")
    day = moment.astimezone(cal.zone).date()
    return any(a <= moment < b for a, b in _intervals(cal, day))


def special_days(cal: Calendar, first: date, last: date) -> list[DayInfo]:
    """Holidays falling on would-be workdays and make-up workdays between two dates (the preview)."""
    out = []
    day = first
    while day <= last and len(out) < 400:
        info = day_info(cal, day)
        if info.kind == "makeup" or (info.kind == "holiday" and cal.weekly[day.weekday()]):
            out.append(info)
        day += timedelta(days=1)
    return out


# --------------------------------------------------------------------------- who works when


def works_on(cal: Calendar, day: date, own_days: str = "") -> bool:
    """Whether someone on calendar `cal` works on `day`.

    `own_days`: the person's own weekdays ("12345", 1 = Monday), or "" to follow the calendar.
    A holiday of the calendar is a day off either way; a make-up workday (调休) is a workday for
    everyone who has working weekdays; on any other day their own weekdays decide. A 7×24
    calendar has no holidays, so someone following it works every day.
    """
    info = day_info(cal, day)
    if info.kind == "holiday":
        return False
    if not own_days:
        return bool(info.periods)
    if info.kind == "makeup":
        return True
    return str(day.isoweekday()) in own_days


OFFICE = Calendar.office()

# team ids → the calendar those teams work by. The sla app, which keeps the calendars, registers
# the real source in its AppConfig.ready(); without it everyone keeps office hours.
TeamCalendars = Callable[[Sequence[int]], Calendar]
_team_calendars: Callable[[], TeamCalendars] | None = None


def register_team_calendars(source: Callable[[], TeamCalendars]) -> None:
    global _team_calendars
    _team_calendars = source


def team_calendars() -> TeamCalendars:
    """A resolver for a batch of lookups: the calendars are read once, when it is made."""
    if _team_calendars is None:
        return lambda team_ids: OFFICE
    return _team_calendars()
