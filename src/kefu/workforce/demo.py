"""Demo staffing: shift patterns and promotion days, tonight's forecast, and a published roster of
this week and next for every team's agents (idempotent: what exists is left as it is)."""

from __future__ import annotations

from datetime import date, timedelta

from kefu.accounts.models import Role, Team, User
from kefu.core import businesstime as bt

from . import forecasting, selectors, services
from .models import PromotionDay, Roster, ShiftPattern

PATTERNS = (
    # name, start, end, break start, break minutes
    ("早班", "08:30", "17:00", "12:00", 60),
    ("中班", "10:00", "18:30", "13:00", 60),
    ("晚班", "13:00", "21:30", "17:30", 30),
)
PROMOTIONS = (("618", 6, 18, 1.8), ("双11", 11, 11, 2.5), ("双12", 12, 12, 1.8))


def load_config() -> None:
    for name, start, end, break_start, minutes in PATTERNS:
        if not ShiftPattern.objects.filter(name=name).exists():
            services.create_pattern(
                name=name, start=start, end=end, break_start=break_start, break_minutes=minutes, by=None
            )
    year = selectors.local_today().year
    for name, month, day, uplift in PROMOTIONS:
        if not PromotionDay.objects.filter(name=name).exists():
            services.save_promotion(name=name, on=date(year, month, day), uplift=uplift, by=None)


def _lead() -> User | None:
    return User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk").first()


def _fill(roster: Roster, patterns: list[ShiftPattern]) -> None:
    """Each agent on the team calendar's working days (a 7×24 team: five days in seven, rest days
    staggered), early / middle / late shifts rotating so the day is covered from 08:30 to 21:30."""
    calendar = bt.team_calendars()([roster.team_id])
    always = all(calendar.weekly) and not calendar.statutory
    agents = selectors.team_members(roster.team_id)
    week = (roster.week_start.toordinal() // 7) % len(patterns)
    for a, agent in enumerate(agents):
        rest = {(2 * a) % 7, (2 * a + 1) % 7} if always else set()
        for i in range(7):
            day = roster.week_start + timedelta(days=i)
            if i in rest or not bt.day_info(calendar, day).periods:
                continue
            pattern = patterns[(a + week) % len(patterns)]
            services.add_shift(roster, agent=agent, day=day, pattern=pattern, by=None)


def after_tickets() -> None:
    load_config()
    forecasting.run_nightly()  # once per night; a second `kefu demo` finds it done
    lead = _lead()
    patterns = list(ShiftPattern.objects.filter(name__in=[p[0] for p in PATTERNS]).order_by("start"))
    if lead is None or not patterns:
        return
    this_week = selectors.monday_of(selectors.local_today())
    for week in (this_week, this_week + timedelta(days=7)):
        for team in Team.objects.order_by("name"):
            if Roster.objects.filter(team=team, week_start=week).exists():
                continue  # planned already (by the demo or a supervisor): leave it
            roster = services.get_or_create_roster(team=team, week_start=week, by=None)
            _fill(roster, patterns)
            services.publish_roster(roster, by=lead, accept_conflicts=True)
