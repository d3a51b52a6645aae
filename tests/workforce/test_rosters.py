"""Rosters: shift patterns, conflicts shown before publishing, publishing, swaps with approval,
and routing's availability from the published roster."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kefu.core import extensions
from kefu.routing.models import AssignmentLog
from kefu.sla.services import ALWAYS_WEEKLY, save_calendar
from kefu.workforce import services
from kefu.workforce.errors import PermissionDenied, RosterConflicts, StaleRoster, ValidationFailed
from kefu.workforce.models import ForecastInterval, ForecastRun, RosterState
from kefu.workforce.selectors import conflicts, duty
from tests.clock import SHANGHAI


def kinds(roster):
    return sorted({c.kind for c in conflicts(roster)})


def test_a_pattern_needs_sane_times(lead_zhao):
    with pytest.raises(ValidationFailed) as err:
        services.create_pattern(name="坏班", start="9:00", end="09:00", by=lead_zhao)
    assert err.value.field == "end"
    with pytest.raises(ValidationFailed) as err:
        services.create_pattern(
            name="坏班", start="09:00", end="12:00", break_start="11:45", break_minutes=30, by=lead_zhao
        )
    assert err.value.field == "break_start"
    with pytest.raises(ValidationFailed):
        services.create_pattern(name="坏班", start="25:00", end="12:00", by=lead_zhao)


def test_only_supervisors_plan(agent_li, team_aftersales, this_week):
    with pytest.raises(PermissionDenied):
        services.get_or_create_roster(team=team_aftersales, week_start=this_week, by=agent_li)


def test_overlapping_shifts_for_one_agent_block_publishing(
    lead_zhao, agent_li, team_aftersales, patterns, next_week
):
    roster = services.get_or_create_roster(team=team_aftersales, week_start=next_week, by=lead_zhao)
    services.add_shift(
        roster, agent=agent_li, day=next_week + timedelta(days=2), pattern=patterns["early"], by=lead_zhao
    )
    services.add_shift(
        roster, agent=agent_li, day=next_week + timedelta(days=2), pattern=patterns["late"], by=lead_zhao
    )
    found = conflicts(roster)
    overlap = [c for c in found if c.kind == "overlap"]
    assert len(overlap) == 1 and "李娜" in overlap[0].message and overlap[0].blocking
    with pytest.raises(RosterConflicts) as err:
        services.publish_roster(roster, by=lead_zhao, accept_conflicts=True)
    assert any(c["kind"] == "overlap" for c in err.value.as_dict()["conflicts"])
    roster.refresh_from_db()
    assert roster.state == RosterState.DRAFT


@pytest.mark.now("2026-09-28 10:00")
def test_a_shift_on_a_holiday_of_an_office_calendar_is_a_conflict_but_not_for_a_7x24_team(
    lead_zhao, agent_li, team_aftersales, patterns
):
    monday = date(2026, 9, 28)
    roster = services.get_or_create_roster(team=team_aftersales, week_start=monday, by=lead_zhao)
    services.add_shift(
        roster, agent=agent_li, day=date(2026, 10, 1), pattern=patterns["early"], by=lead_zhao
    )  # 国庆
    services.add_shift(roster, agent=agent_li, day=date(2026, 9, 28), pattern=patterns["early"], by=lead_zhao)
    outside = [c for c in conflicts(roster) if c.kind == "outside_calendar"]
    assert [c.day for c in outside] == [date(2026, 10, 1)] and "National Day" in outside[0].message
    with pytest.raises(RosterConflicts):
        services.publish_roster(roster, by=lead_zhao)  # shown first: not accepted yet
    save_calendar(by=None, name="全天候", weekly=ALWAYS_WEEKLY, statutory=False, is_default=True)
    assert "outside_calendar" not in kinds(roster)


def test_too_little_rest_and_too_many_days_in_a_row(
    lead_zhao, agent_li, team_aftersales, patterns, next_week
):
    roster = services.get_or_create_roster(team=team_aftersales, week_start=next_week, by=lead_zhao)
    for i in range(7):
        services.add_shift(
            roster, agent=agent_li, day=next_week + timedelta(days=i), pattern=patterns["early"], by=lead_zhao
        )
    assert "consecutive_days" in kinds(roster)
    services.add_shift(roster, agent=agent_li, day=next_week, pattern=patterns["night"], by=lead_zhao)
    # the night shift ends at 08:00 on Tuesday, the early shift starts then: no overlap, no rest
    assert {"rest"} <= set(kinds(roster))


def _forecast(week_start, per_half_hour=40.0):
    run = ForecastRun.objects.create(
        night=week_start - timedelta(days=1),
        first_day=week_start,
        state="done",
        started_at=datetime.now(SHANGHAI),
    )
    rows = []
    for day in range(7):
        for slot in range(48):
            at = datetime.combine(
                week_start + timedelta(days=day), datetime.min.time(), tzinfo=SHANGHAI
            ) + timedelta(minutes=30 * slot)
            busy = 18 <= slot < 42
            rows.append(
                ForecastInterval(
                    run=run,
                    channel="phone",
                    starts_at=at,
                    expected=per_half_hour if busy else 0.0,
                    day_kind="workday",
                )
            )
    ForecastInterval.objects.bulk_create(rows)
    return run


def test_an_interval_under_the_required_agents_or_the_floor_is_shown(
    lead_zhao, agent_li, agent_wang, team_aftersales, patterns, next_week
):
    _forecast(next_week, per_half_hour=1.0)  # tiny traffic: the floor of 2 decides at peak
    roster = services.get_or_create_roster(team=team_aftersales, week_start=next_week, by=lead_zhao)
    for i in range(5):
        services.add_shift(
            roster, agent=agent_li, day=next_week + timedelta(days=i), pattern=patterns["early"], by=lead_zhao
        )
    under = [c for c in conflicts(roster) if c.kind == "under_required"]
    assert under and "1 on duty, 2 required" in under[0].message
    with pytest.raises(RosterConflicts):
        services.publish_roster(roster, by=lead_zhao)
    published = services.publish_roster(roster, by=lead_zhao, accept_conflicts=True)
    assert published.state == RosterState.PUBLISHED and published.published_by == lead_zhao


def _published(lead, team, week, entries):
    roster = services.get_or_create_roster(team=team, week_start=week, by=lead)
    for agent, day, pattern in entries:
        services.add_shift(roster, agent=agent, day=day, pattern=pattern, by=lead)
    return services.publish_roster(roster, by=lead, accept_conflicts=True)


@pytest.mark.now("2026-06-10 10:00")
def test_routing_assigns_the_agent_on_shift_not_the_one_rostered_off(
    lead_zhao,
    agent_li,
    agent_wang,
    team_aftersales,
    patterns,
    customer_x,
    make_ticket,
    django_capture_on_commit_callbacks,
):
    save_calendar(by=None, name="全天候", weekly=ALWAYS_WEEKLY, statutory=False, is_default=True)
    monday = date(2026, 6, 8)
    _published(lead_zhao, team_aftersales, monday, [(agent_wang, date(2026, 6, 10), patterns["early"])])
    assert duty([agent_li.pk, agent_wang.pk], datetime(2026, 6, 10, 10, tzinfo=SHANGHAI)) == {
        agent_li.pk: False,
        agent_wang.pk: True,
    }
    assert duty([agent_wang.pk], datetime(2026, 6, 10, 12, 10, tzinfo=SHANGHAI)) == {
        agent_wang.pk: False
    }  # lunch
    assert extensions.on_duty([agent_li.pk], datetime(2026, 6, 10, 10, tzinfo=SHANGHAI)) == {
        agent_li.pk: False
    }
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer_x, team=team_aftersales)
    ticket.refresh_from_db()
    log = AssignmentLog.objects.filter(ticket=ticket).first()
    assert ticket.assignee == agent_wang, log and log.detail


def test_a_swap_needs_a_supervisors_approval_and_moves_the_shift(
    lead_zhao, agent_li, agent_wang, team_aftersales, patterns, next_week
):
    wed = next_week + timedelta(days=2)
    roster = _published(lead_zhao, team_aftersales, next_week, [(agent_li, wed, patterns["early"])])
    entry = roster.entries.get()
    swap = services.request_swap(entry, by=agent_li, to=agent_wang, reason="家里有事")
    with pytest.raises(PermissionDenied):
        services.decide_swap(swap, by=agent_li, approve=True)
    with pytest.raises(PermissionDenied):
        services.request_swap(entry, by=agent_wang, to=agent_wang)
    services.decide_swap(swap, by=lead_zhao, approve=True)
    entry.refresh_from_db()
    assert entry.agent == agent_wang
    with pytest.raises(StaleRoster):
        services.decide_swap(swap, by=lead_zhao, approve=False)  # decided once


def test_a_swap_onto_a_busy_colleague_is_refused(
    lead_zhao, agent_li, agent_wang, team_aftersales, patterns, next_week
):
    wed = next_week + timedelta(days=2)
    roster = _published(
        lead_zhao,
        team_aftersales,
        next_week,
        [(agent_li, wed, patterns["early"]), (agent_wang, wed, patterns["late"])],
    )
    entry = roster.entries.get(agent=agent_li)
    swap = services.request_swap(entry, by=agent_li, to=agent_wang)
    with pytest.raises(ValidationFailed):
        services.decide_swap(swap, by=lead_zhao, approve=True)
