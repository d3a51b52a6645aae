"""Recurring actions: an RFC 5545 rule (dateutil.rrule) read in the local zone from the action's
start — `FREQ=DAILY;BYHOUR=10,16` is the 10:00 and 16:00 sync, `FREQ=MONTHLY;BYDAY=1TU` the
workshop on each month's first Tuesday. Each slot on a working day of the plan's calendar (its team's
business calendar, else the default one, with Chinese holidays and make-up workdays) becomes an
action of its own, unique per (pattern, slot): the periodic job and several workers running it at
once create each occurrence once (FAULTS B5). Slots on days off are skipped, not moved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil import rrule as rr
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.core import businesstime as bt
from kefu.core import metrics
from kefu.core.clock import now

from . import progress
from .errors import BadRule
from .models import Action, ActionStatus, ChecklistItem, Plan
from .states import PlanState

HORIZON_DAYS = 1  # occurrences are created up to tomorrow, so the owner sees the next one
MAX_PER_DAY = 24
MAX_SLOTS = 2000  # an action's whole span; more is not a plan but a clock


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=metrics.local_zone())


def parse_rule(rule: str, start: date) -> rr.rrule:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "DTSTART" in text.upper() or "\n" in text or len(text) > 300:
        raise BadRule(_("Write one recurrence rule such as FREQ=DAILY;BYHOUR=10,16."), field="rule")
    try:
        parsed = rr.rrulestr(text, dtstart=_start_of(start))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise BadRule(
            _("The recurrence rule %(rule)s is not valid (example: FREQ=DAILY;BYHOUR=10,16).")
            % {"rule": text},
            field="rule",
        ) from None
    if not isinstance(parsed, rr.rrule):
        raise BadRule(_("Write one recurrence rule such as FREQ=DAILY;BYHOUR=10,16."), field="rule")
    if parsed._freq > rr.HOURLY:  # MINUTELY, SECONDLY
        raise BadRule(_("An action repeats at most every hour."), field="rule")
    return parsed


def calendar_for(plan: Plan) -> bt.Calendar:
    """The plan's team's business calendar, else the default calendar, else office hours."""
    return bt.team_calendars()([plan.scope_team_id] if plan.scope_team_id else [])


def slots(action: Action, first: date, last: date, *, rule: str | None = None) -> list[datetime]:
    """The rule's slots in [first, last] (local days) that fall on working days."""
    parsed = parse_rule(rule if rule is not None else action.rule, action.start)
    first, last = max(first, action.start), min(last, action.due)
    if last < first:
        return []
    cal = calendar_for(action.plan)
    begin, end = _start_of(first), _start_of(last + timedelta(days=1))
    out: list[datetime] = []
    per_day: dict[date, int] = {}
    for slot in parsed:  # lazily, from the action's start: an absurd rule stops at the limits
        if slot >= end:
            break
        day = slot.date()
        per_day[day] = per_day.get(day, 0) + 1
        if per_day[day] > MAX_PER_DAY or sum(per_day.values()) > MAX_SLOTS * 4:
            raise BadRule(_("An action repeats at most every hour."), field="rule")
        if slot >= begin and bt.works_on(cal, day):
            out.append(slot)
    return out


def check_rule(rule: str, *, plan: Plan, start: date, due: date) -> None:
    """Refuse a rule that does not parse, repeats too often, or never falls on a working day."""
    probe = Action(plan=plan, start=start, due=due, rule=rule)
    if not slots(probe, start, due):
        raise BadRule(
            _("The rule never falls on a working day between %(a)s and %(b)s.")
            % {"a": start.isoformat(), "b": due.isoformat()},
            field="rule",
        )


def generate_for(action: Action, *, until: date | None = None) -> int:
    """Create the occurrences of `action` from its start up to `until` (default: tomorrow); returns
    how many this call created. Safe on many workers at once: the unique (parent, occurs_at) keeps
    one, a worker that loses the race skips the slot."""
    until = until or progress.today() + timedelta(days=HORIZON_DAYS)
    try:
        wanted = slots(action, action.start, until)
    except BadRule:  # a rule stored before a check existed: nothing to make
        return 0
    have = set(action.occurrences.values_list("occurs_at", flat=True))
    goals = list(action.goals.all())
    checklist = [item.text for item in action.checklist.all()]
    made = 0
    for slot in wanted:
        if slot in have:
            continue
        try:
            with transaction.atomic():
                child = Action.objects.create(
                    plan_id=action.plan_id,
                    parent=action,
                    occurs_at=slot,
                    title=action.title,
                    kind=action.kind,
                    owner_id=action.owner_id,
                    start=slot.date(),
                    due=slot.date(),
                    resources=action.resources,
                    created_at=now(),
                    updated_at=now(),
                )
                child.goals.set(goals)
                ChecklistItem.objects.bulk_create(
                    ChecklistItem(action=child, position=i, text=text) for i, text in enumerate(checklist)
                )
        except IntegrityError:  # another worker made this slot meanwhile
            continue
        made += 1
    return made


def generate_due(*, until: date | None = None) -> int:
    """The periodic job: every recurring action of a plan still running, up to tomorrow."""
    patterns = (
        Action.objects.filter(parent__isnull=True, rule__gt="")
        .exclude(plan__state=PlanState.CLOSED)
        .exclude(status=ActionStatus.CANCELLED)
        .select_related("plan")
        .order_by("pk")
    )
    return sum(generate_for(action, until=until) for action in patterns.iterator())


def describe(rule: str) -> str:
    """The rule as people read it: the times of day when it sets BYHOUR, else the rule itself."""
    upper = rule.upper()
    text = upper.replace("RRULE:", "")
    parts = dict(p.split("=", 1) for p in text.split(";") if "=" in p)
    freq = {
        "DAILY": _("every working day"),
        "WEEKLY": _("weekly"),
        "MONTHLY": _("monthly"),
        "YEARLY": _("yearly"),
        "HOURLY": _("hourly"),
    }.get(parts.get("FREQ", ""), rule)
    hours = parts.get("BYHOUR")
    if hours:
        minute = parts.get("BYMINUTE", "0").split(",")[0]
        times = "、".join(f"{int(h):02d}:{int(minute):02d}" for h in hours.split(",") if h.isdigit())
        return f"{freq} {times}"
    return str(freq)
