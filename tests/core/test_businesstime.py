"""Business-time arithmetic: Chinese office hours with lunch, 调休, Spring Festival, National Day, 7×24."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.businesstime import (
    Calendar,
    add_business_time,
    business_time_between,
    day_info,
    hm,
    is_working_time,
    special_days,
)
from kefu.core.errors import ValidationFailed

SH = ZoneInfo("Asia/Shanghai")
OFFICE = Calendar.office()  # Mon–Fri 9:00–12:00, 13:30–18:00 (7.5 h), statutory days on
CHAT = Calendar.around_the_clock()
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_entered_days():
    """The maths alone: the sla app's source of entered notices (a database read) is left out."""
    from kefu.core import businesstime as bt

    saved = bt._entered_source
    bt._entered_source = None
    bt.invalidate_statutory_days()
    yield
    bt._entered_source = saved
    bt.invalidate_statutory_days()


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# --------------------------------------------------------------------------- concrete examples


def test_two_hours_from_friday_afternoon_lands_on_monday_morning():
    # 2026-11-20 is a Friday; 17:00 + 2 h = 1 h on Friday, 1 h on Monday from 9:00.
    assert add_business_time(OFFICE, at(2026, 11, 20, 17), 2 * H) == at(2026, 11, 23, 10)


def test_lunch_break_does_not_count():
    assert add_business_time(OFFICE, at(2026, 11, 23, 11), 2 * H) == at(2026, 11, 23, 14, 30)
    assert business_time_between(OFFICE, at(2026, 11, 23, 11), at(2026, 11, 23, 14)) == 1.5 * H


def test_a_night_start_begins_counting_at_nine():
    assert add_business_time(OFFICE, at(2026, 11, 24, 22), 30 * timedelta(minutes=1)) == at(
        2026, 11, 25, 9, 30
    )


def test_spring_festival_2026_is_skipped_and_the_make_up_saturday_counts():
    # Friday 13 Feb 17:00, 24 working hours: 1 h Friday, 7.5 h on the make-up Saturday 14 Feb,
    # nothing 15–23 Feb (春节), then 7.5 h on 24 and 25 Feb, the last half hour on the 26th.
    assert add_business_time(OFFICE, at(2026, 2, 13, 17), 24 * H) == at(2026, 2, 26, 9, 30)
    assert business_time_between(OFFICE, at(2026, 2, 15), at(2026, 2, 24)) == timedelta(0)
    assert day_info(OFFICE, date(2026, 2, 14)).kind == "makeup"
    assert day_info(OFFICE, date(2026, 2, 17)).label == "Spring Festival"


def test_three_working_days_over_national_day_2026():
    # Wednesday 30 Sep 2026 10:00 + 3 working days (22.5 h): 6.5 h that day, 1–7 Oct are holidays,
    # 7.5 h on Thursday 8 and Friday 9 Oct, the last hour on the make-up Saturday 10 Oct.
    due = add_business_time(OFFICE, at(2026, 9, 30, 10), 22.5 * H)
    assert due == at(2026, 10, 10, 10, 0)
    assert business_time_between(OFFICE, at(2026, 10, 1), at(2026, 10, 8)) == timedelta(0)


def test_7x24_counts_nights_and_holidays():
    assert add_business_time(CHAT, at(2026, 10, 1, 23, 59), timedelta(seconds=30)) == at(
        2026, 10, 1, 23, 59
    ) + timedelta(seconds=30)
    assert business_time_between(CHAT, at(2026, 2, 15), at(2026, 2, 16)) == 24 * H
    assert CHAT.always_open


def test_custom_holiday_and_custom_workday():
    cal = Calendar.office(holidays=frozenset({date(2026, 11, 23)}), workdays=frozenset({date(2026, 11, 22)}))
    assert business_time_between(cal, at(2026, 11, 23), at(2026, 11, 24)) == timedelta(0)
    assert business_time_between(cal, at(2026, 11, 22), at(2026, 11, 23)) == 7.5 * H


def test_years_the_package_does_not_know_fall_back_to_weekdays():
    # chinese-calendar stops at its last published year; a due date there still computes.
    assert add_business_time(OFFICE, at(2031, 1, 3, 17), 2 * H) == at(2031, 1, 6, 10)


def test_other_time_zones_and_utc_inputs():
    berlin = Calendar.office(tz="Europe/Berlin", statutory=False)
    start = datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Friday before DST starts
    due = add_business_time(berlin, start, 3 * H)
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    # The weekend in between lost an hour to DST; working time is unaffected.
    assert business_time_between(berlin, start, due) == 3 * H
    assert add_business_time(OFFICE, at(2026, 11, 23, 9).astimezone(ZoneInfo("UTC")), H) == at(
        2026, 11, 23, 10
    )


def test_a_long_span_is_cheap():
    start = at(2026, 1, 1)
    due = add_business_time(OFFICE, start, 2000 * H)  # over a year of working time
    assert business_time_between(OFFICE, start, due) == 2000 * H
    assert is_working_time(OFFICE, due - timedelta(seconds=1))


def test_holiday_preview_lists_holidays_and_make_up_days():
    days = special_days(OFFICE, date(2026, 9, 25), date(2026, 10, 12))
    kinds = {d.day: d.kind for d in days}
    assert kinds[date(2026, 10, 1)] == "holiday"
    assert kinds[date(2026, 10, 10)] == "makeup"
    assert date(2026, 9, 26) not in kinds  # an ordinary Saturday is not listed


# --------------------------------------------------------------------------- bad calendars


@pytest.mark.parametrize(
    ("weekly", "reason"),
    [
        ([()] * 7, "at least one working period"),
        ([((hm("09:00"), hm("12:00")), (hm("11:00"), hm("14:00")))] + [()] * 6, "overlap"),
        ([((hm("18:00"), hm("09:00")),)] + [()] * 6, "end after it starts"),
        ([((hm("09:00"), hm("09:00")),)] + [()] * 6, "end after it starts"),
    ],
)
def test_invalid_calendars_are_rejected_with_the_reason(weekly, reason):
    with pytest.raises(ValidationFailed) as err:
        Calendar(weekly=tuple(weekly))
    assert reason in err.value.message
    assert err.value.field == "periods"


def test_bad_time_zone_and_time_text_are_rejected():
    with pytest.raises(ValidationFailed):
        Calendar.office(tz="Mars/Olympus")
    with pytest.raises(ValidationFailed):
        hm("25:00")
    with pytest.raises(ValidationFailed):
        hm("nine")


# --------------------------------------------------------------------------- properties

starts = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(SH)
).map(lambda d: d.replace(microsecond=0))
durations = st.integers(min_value=0, max_value=60 * 24 * 40).map(lambda m: timedelta(minutes=m))
calendars = st.sampled_from(
    [OFFICE, CHAT, Calendar.office((("08:30", "12:00"), ("13:00", "17:30")), weekdays=range(6))]
)


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=starts, duration=durations)
def test_adding_then_measuring_gives_the_duration_back(cal, start, duration):
    due = add_business_time(cal, start, duration)
    assert due >= start
    assert business_time_between(cal, start, due) == duration


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=starts, duration=durations.filter(bool))
def test_a_deadline_always_falls_inside_working_time(cal, start, duration):
    due = add_business_time(cal, start, duration)
    assert is_working_time(cal, due - timedelta(seconds=1))


@settings(max_examples=100, deadline=None)
@given(start=starts, hours=st.integers(min_value=0, max_value=23))
def test_nights_and_statutory_holidays_never_count(start, hours):
    day = start.date()
    night = datetime(day.year, day.month, day.day, 18, 0, tzinfo=SH)
    assert business_time_between(OFFICE, night, night + timedelta(hours=15)) == timedelta(0)
    info = day_info(OFFICE, day)
    midnight = datetime(day.year, day.month, day.day, tzinfo=SH)
    worked = business_time_between(OFFICE, midnight, midnight + timedelta(days=1))
    if info.kind in ("holiday", "weekend"):
        assert worked == timedelta(0)
    else:  # a workday or a make-up Saturday works its 7.5 h
        assert worked == 7.5 * H


@settings(max_examples=100, deadline=None)
@given(cal=calendars, a=starts, b=starts, c=starts)
def test_spans_add_up(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_time_between(cal, a, c) == business_time_between(cal, a, b) + business_time_between(
        cal, b, c
    )


# --------------------------------------------------------------------------- entered statutory days


def test_entered_statutory_days_count_only_for_years_the_package_does_not_know():
    """core asks the registered source (the sla app's entered notices) and nothing else imports sla."""
    from kefu.core import businesstime as bt

    year = bt.last_statutory_year() + 1
    holiday = next(date(year, 10, d) for d in range(1, 8) if date(year, 10, d).weekday() < 5)
    makeup = next(date(year, 9, d) for d in range(20, 30) if date(year, 9, d).weekday() == 6)
    known = date(year - 1, 6, 10)
    entered = {holiday: ("holiday", "国庆节"), makeup: ("makeup", "国庆节"), known: ("holiday", "假的")}
    assert day_info(OFFICE, holiday).kind == "workday"  # nothing entered: weekdays only
    bt.register_statutory_days(lambda: entered)
    assert (day_info(OFFICE, holiday).kind, day_info(OFFICE, holiday).title) == ("holiday", "国庆节")
    assert day_info(OFFICE, makeup).kind == "makeup" and day_info(OFFICE, makeup).periods
    assert day_info(OFFICE, known).kind == "workday"  # the package's own year: its data wins
    assert not is_working_time(OFFICE, datetime.combine(holiday, time(10), tzinfo=SH))
    assert day_info(CHAT, holiday).kind != "holiday"  # a 7×24 calendar has no statutory days
    entered.clear()
    bt.invalidate_statutory_days()  # a notice saved: the per-day interval cache is dropped too
    assert day_info(OFFICE, holiday).kind == "workday"
    assert is_working_time(OFFICE, datetime.combine(holiday, time(10), tzinfo=SH))


def test_a_source_that_cannot_be_read_leaves_weekdays_only():
    """No database (async code, a pure test): the calendar still counts, it never fails."""
    from kefu.core import businesstime as bt

    def broken():
        raise RuntimeError("no database here")

    bt.register_statutory_days(broken)
    day = date(bt.last_statutory_year() + 1, 3, 1)
    assert day_info(OFFICE, day).kind in ("workday", "weekend")
