"""What each trigger reads, and whether it fires at an instant: pure reads, no writes.

- volume: tickets created in the window (default the last hour) against the usual for that hour
  and weekday — the mean of the same window 1…N weeks before (Ticket.created_at). Fires when
  count ≥ min_count and count > multiplier × baseline.
- keyword: the same, counting only tickets whose subject or first message holds the keyword (one of
  its alternatives, split on / , ，). Matching uses kefu.core.text: the text folded (NFKC,
  Simplified, lower case) and cut into tokens; a ticket matches when it holds every token of the
  keyword.
- silence: no new ticket on the channel for the window (default 30 minutes) while the whole window
  lies in working hours of the channel's calendar (the sla app's calendar for the channel, else the
  default one, else office hours).
- sla_breach: SLA timers decided in the window (breached, or met without a breach); fires when at
  least min_count were decided and breached ÷ decided > percent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.core import businesstime as bt
from kefu.core.text import clean, tokens
from kefu.sla.models import BusinessCalendar, SlaTimer
from kefu.sla.services import calendar_value
from kefu.tickets.models import Channel, Message, MessageKind, Ticket

from .models import EmergencyPlan, TriggerKind

SPLIT = re.compile(r"[/,，、;；|]+")


@dataclass
class Reading:
    fired: bool
    figures: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def keyword_alternatives(keyword: str) -> list[list[str]]:
    """The token sets of each alternative of the keyword; alternatives with no token are left out."""
    out = []
    for part in SPLIT.split(keyword or ""):
        found = tokens(clean(part.strip()))
        if found:
            out.append(found)
    return out


def new_tickets(since: datetime, until: datetime) -> QuerySet[Ticket]:
    return Ticket.objects.filter(created_at__gte=since, created_at__lt=until, merged_into__isnull=True)


def _texts(ids: Iterable[int]) -> dict[int, str]:
    """Subject + first public message of each ticket, in two queries."""
    ids = list(ids)
    texts = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "subject"))
    seen: set[int] = set()
    rows = (
        Message.objects.filter(ticket_id__in=ids, kind=MessageKind.PUBLIC)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body_text")
    )
    for ticket_id, body in rows.iterator():
        if ticket_id not in seen:
            seen.add(ticket_id)
            texts[ticket_id] = f"{texts.get(ticket_id, '')} {body[:4000]}"
    return texts


def matching(plan: EmergencyPlan, qs: QuerySet[Ticket]) -> list[int]:
    """Ids of the tickets of `qs` the plan's keyword matches (all of them for other triggers)."""
    ids = list(qs.order_by("pk").values_list("pk", flat=True)[:5000])
    if plan.trigger != TriggerKind.KEYWORD:
        return ids
    wanted = keyword_alternatives(plan.keyword)
    out = []
    for pk, text in _texts(ids).items():
        have = set(tokens(clean(text)))
        if any(all(t in have for t in alt) for alt in wanted):
            out.append(pk)
    return sorted(out)


def _surge(plan: EmergencyPlan, at: datetime) -> Reading:
    window = timedelta(minutes=plan.window_minutes)
    current = len(matching(plan, new_tickets(at - window, at)))
    past = [
        len(matching(plan, new_tickets(at - timedelta(weeks=k) - window, at - timedelta(weeks=k))))
        for k in range(1, plan.baseline_weeks + 1)
    ]
    baseline = sum(past) / len(past) if past else 0.0
    fired = current >= plan.min_count and current > plan.multiplier * baseline
    figures = {
        "count": current,
        "baseline": round(baseline, 2),
        "multiplier": plan.multiplier,
        "threshold": round(max(plan.multiplier * baseline, plan.min_count), 2),
        "window_minutes": plan.window_minutes,
        "weeks": past,
    }
    if plan.trigger == TriggerKind.KEYWORD:
        figures["keyword"] = plan.keyword
        text = _(
            "%(count)d new tickets mention “%(keyword)s” in the last %(minutes)d minutes; "
            "usual for this hour and weekday: %(baseline).1f (fires above %(multiplier)g× and at least %(min)d)."
        ) % {
            "count": current,
            "keyword": plan.keyword,
            "minutes": plan.window_minutes,
            "baseline": baseline,
            "multiplier": plan.multiplier,
            "min": plan.min_count,
        }
    else:
        text = _(
            "%(count)d new tickets in the last %(minutes)d minutes; usual for this hour and weekday: "
            "%(baseline).1f (fires above %(multiplier)g× and at least %(min)d)."
        ) % {
            "count": current,
            "minutes": plan.window_minutes,
            "baseline": baseline,
            "multiplier": plan.multiplier,
            "min": plan.min_count,
        }
    return Reading(fired, figures, text)


def channel_calendar(channel: str) -> bt.Calendar:
    rows = list(BusinessCalendar.objects.all()[:200])
    row = next((r for r in rows if r.channel == channel), None) or next(
        (r for r in rows if r.is_default), None
    )
    return calendar_value(row)


def _silence(plan: EmergencyPlan, at: datetime) -> Reading:
    window = timedelta(minutes=plan.window_minutes)
    cal = channel_calendar(plan.channel)
    working = bt.business_time_between(cal, at - window, at) >= window
    count = new_tickets(at - window, at).filter(channel=plan.channel).count()
    fired = working and count == 0
    text = _("%(count)d new tickets on channel %(channel)s in the last %(minutes)d minutes (%(hours)s).") % {
        "count": count,
        "channel": Channel(plan.channel).label if plan.channel in Channel.values else plan.channel,
        "minutes": plan.window_minutes,
        "hours": _("working hours") if working else _("outside working hours"),
    }
    return Reading(fired, {"count": count, "channel": plan.channel, "working_hours": working}, text)


def breach_timers(since: datetime, until: datetime) -> tuple[QuerySet[SlaTimer], QuerySet[SlaTimer]]:
    breached = SlaTimer.objects.filter(breached_at__gte=since, breached_at__lt=until)
    met = SlaTimer.objects.filter(met_at__gte=since, met_at__lt=until, breached_at__isnull=True)
    return breached, met


def _sla(plan: EmergencyPlan, at: datetime) -> Reading:
    window = timedelta(minutes=plan.window_minutes)
    breached_qs, met_qs = breach_timers(at - window, at)
    breached, met = breached_qs.count(), met_qs.count()
    decided = breached + met
    rate = 100.0 * breached / decided if decided else 0.0
    fired = decided >= plan.min_count and rate > plan.percent
    text = _(
        "SLA breach rate %(rate).1f %% in the last %(minutes)d minutes (%(breached)d of %(decided)d "
        "targets decided; fires above %(percent)g %% with at least %(min)d)."
    ) % {
        "rate": rate,
        "minutes": plan.window_minutes,
        "breached": breached,
        "decided": decided,
        "percent": plan.percent,
        "min": plan.min_count,
    }
    figures = {"rate": round(rate, 2), "breached": breached, "decided": decided, "percent": plan.percent}
    return Reading(fired, figures, text)


def read(plan: EmergencyPlan, at: datetime) -> Reading:
    if plan.trigger in (TriggerKind.VOLUME, TriggerKind.KEYWORD):
        return _surge(plan, at)
    if plan.trigger == TriggerKind.SILENCE:
        return _silence(plan, at)
    return _sla(plan, at)


def incident_tickets(plan: EmergencyPlan, since: datetime, until: datetime) -> list[int]:
    """The new tickets an open incident of `plan` takes in: every new one for a volume surge, the
    matching ones for a keyword, the tickets of breached timers for SLA; none for a silence."""
    if plan.trigger == TriggerKind.SILENCE:
        return []
    if plan.trigger == TriggerKind.SLA_BREACH:
        breached, _met = breach_timers(since, until)
        return sorted(
            set(breached.filter(ticket__merged_into__isnull=True).values_list("ticket_id", flat=True))
        )
    return matching(plan, new_tickets(since, until))
