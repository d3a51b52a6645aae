"""SLA pages: the timer panel on a ticket, queue badges, and supervisor pages at /agent/sla/. Thin."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Team
from kefu.core import businesstime as bt
from kefu.core.choices import label
from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.customers.models import Tier
from kefu.tickets import selectors as ticket_selectors
from kefu.tickets.models import Channel, Priority, TicketType

from . import selectors, services
from .models import BusinessCalendar, Metric, SlaPolicy, StatutoryYear

WEEKDAYS = [
    ("0", gettext_lazy("Monday")),
    ("1", gettext_lazy("Tuesday")),
    ("2", gettext_lazy("Wednesday")),
    ("3", gettext_lazy("Thursday")),
    ("4", gettext_lazy("Friday")),
    ("5", gettext_lazy("Saturday")),
    ("6", gettext_lazy("Sunday")),
]


# --------------------------------------------------------------------------- ticket page parts


def ticket_panel(request: HttpRequest, ticket: Any) -> str:
    timers = selectors.ticket_timers(ticket.pk)
    if not timers:
        return ""
    context = {"timers": timers, "ticket_id": ticket.pk, "refresh": selectors.REFRESH_SECONDS}
    return render_to_string("sla/_panel.html", context, request=request)


def ticket_panel_fragment(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The panel alone, re-fetched by static/sla/countdown.js every minute: remaining business time
    is computed here, on the timer's calendar, never in the browser."""
    if not request.user.is_authenticated or not getattr(request.user, "is_agent", False):
        raise Http404()
    try:
        ticket = ticket_selectors.access_ticket(request.user, ticket_id)
    except DomainError:
        raise Http404() from None
    return HttpResponse(ticket_panel(request, ticket))


def row_badges(request: HttpRequest, tickets: list[Any]) -> dict[int, str]:
    found = selectors.page_badges([t.pk for t in tickets])
    return {pk: render_to_string("sla/_badge.html", {"v": view}) for pk, view in found.items()}


# --------------------------------------------------------------------------- supervisor pages


def _supervisor(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.can_manage(request.user):
        raise Http404()
    return None


def home(request: HttpRequest) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    policies = list(selectors.list_policies())
    teams = dict(Team.objects.values_list("pk", "name"))
    default = BusinessCalendar.objects.filter(is_default=True).first()
    for p in policies:
        p.when = [label(choices, v) for field, choices in CONDITION_LABELS for v in getattr(p, field)]
        p.when += [teams[pk] for pk in p.team_ids if pk in teams]
        cal = selectors.policy_calendar(p, default)
        p.target_texts = [
            (
                str(t.get_metric_display()),
                selectors.target_text(t.seconds, t.business_time, cal),
                t.business_time,
            )
            for t in p.targets.all()
        ]
    calendars = list(selectors.list_calendars())
    for c in calendars:
        c.channel_label = label(Channel, c.channel) if c.channel else ""
    context = {
        "calendars": calendars,
        "policies": policies,
        "entered_years": StatutoryYear.objects.filter(year__gt=bt.last_statutory_year()),
        "known_until": bt.last_statutory_year(),
        **_banner(),
    }
    return render(request, "sla/home.html", context)


def _banner() -> dict[str, Any]:
    """The SLA pages ask supervisors for a year's notice from 60 days before the package lacks it."""
    return {"missing_year": services.missing_statutory_year()}


# Policies store codes (chat, complaint, vip); the page shows their labels.
CONDITION_LABELS = (("channels", Channel), ("types", TicketType), ("priorities", Priority), ("tiers", Tier))


def _weekly_text(weekly: list[list[list[str]]]) -> list[tuple[str, str, str]]:
    rows = []
    for i, (key, name) in enumerate(WEEKDAYS):
        day = weekly[i] if i < len(weekly) else []
        rows.append((key, str(name), ", ".join(f"{a}-{b}" for a, b in day)))
    return rows


def _parse_periods(text: str) -> list[list[str]]:
    out = []
    for chunk in text.replace("，", ",").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        if "-" not in chunk:
            raise DomainError(_("Write periods like 09:00-12:00, 13:30-18:00."), field="periods")
        start, end = chunk.replace("–", "-").split("-", 1)
        out.append([start.strip(), end.strip()])
    return out


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").splitlines() if x.strip()]


def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    row = get_object_or_404(BusinessCalendar, pk=pk) if pk else None
    error: DomainError | None = None
    if request.method == "POST":
        data = request.POST
        try:
            weekly = [_parse_periods(data.get(f"day{i}", "")) for i in range(7)]
            team = Team.objects.filter(pk=data.get("team") or 0).first()
            row = services.save_calendar(
                by=request.user,  # type: ignore[arg-type]
                calendar=row,
                name=data.get("name", ""),
                weekly=weekly,
                tz=data.get("tz", bt.DEFAULT_TZ),
                statutory=bool(data.get("statutory")),
                holidays=_lines(data.get("holidays", "")),
                workdays=_lines(data.get("workdays", "")),
                is_default=bool(data.get("is_default")),
                team=team,
                channel=data.get("channel", ""),
            )
            messages.success(request, _("Calendar saved.") + " " + _moved_text(row))
            return redirect("sla:calendar", pk=row.pk)
        except DomainError as exc:
            error = exc
    weekly = row.weekly if row else services.OFFICE_WEEKLY
    preview: list[bt.DayInfo] = []
    if row is not None:
        try:
            today = now().date()
            preview = bt.special_days(row.value(), date(today.year, 1, 1), date(today.year + 1, 12, 31))
        except DomainError:
            preview = []
    context = {
        "row": row,
        "error": error,
        "form": request.POST if request.method == "POST" else None,
        "weekly": _weekly_text(weekly),
        "teams": Team.objects.all(),
        "channels": Channel.choices,
        "preview": preview,
        "default_tz": bt.DEFAULT_TZ,
        "known_until": bt.last_statutory_year(),
        "recomputes": selectors.list_recomputes(calendar=row) if row else [],
        **_banner(),
    }
    return render(request, "sla/calendar.html", context, status=422 if error else 200)


TARGET_METRICS = [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION, Metric.ACKNOWLEDGEMENT]


def _minutes(value: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise DomainError(_("A target is a number of minutes."), field="targets") from None
    if number <= 0:
        raise DomainError(_("A target is a number of minutes."), field="targets")
    return number


def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    row = get_object_or_404(SlaPolicy, pk=pk) if pk else None
    error: DomainError | None = None
    if request.method == "POST":
        data = request.POST
        try:
            targets = []
            for metric in TARGET_METRICS:
                minutes = _minutes(data.get(f"t_{metric}", ""))
                if minutes is not None:
                    targets.append(
                        services.TargetSpec(
                            metric=metric,
                            seconds=round(minutes * 60),
                            business_time=bool(data.get(f"b_{metric}")),
                            channel=data.get(f"c_{metric}", ""),
                        )
                    )
            try:
                position = int(data.get("position") or 100)
                warn = int(data.get("warn_percent") or 80)
            except ValueError:
                raise DomainError(_("Enter whole numbers."), field="position") from None
            row = services.save_policy(
                by=request.user,  # type: ignore[arg-type]
                policy=row,
                name=data.get("name", ""),
                targets=targets,
                position=position,
                active=bool(data.get("active")),
                channels=data.getlist("channels"),
                types=data.getlist("types"),
                priorities=data.getlist("priorities"),
                tiers=data.getlist("tiers"),
                team_ids=[int(t) for t in data.getlist("team_ids") if t.isdigit()],
                calendar=BusinessCalendar.objects.filter(pk=data.get("calendar") or 0).first(),
                pause_on_hold=bool(data.get("pause_on_hold")),
                warn_percent=warn,
                notify_on_breach=bool(data.get("notify_on_breach")),
                raise_priority_on_breach=bool(data.get("raise_priority_on_breach")),
                reassign_on_breach=bool(data.get("reassign_on_breach")),
            )
            messages.success(request, _("Policy saved.") + " " + _moved_text(row))
            return redirect("sla:policy", pk=row.pk)
        except DomainError as exc:
            error = exc
    existing = {t.metric: t for t in row.targets.all()} if row else {}
    target_rows = [
        {
            "metric": m,
            "label": Metric(m).label,
            "minutes": _fmt_minutes(existing[m].seconds) if m in existing else "",
            "business": existing[m].business_time if m in existing else True,
            "channel": existing[m].channel if m in existing else "",
        }
        for m in TARGET_METRICS
    ]
    context = {
        "row": row,
        "error": error,
        "targets": target_rows,
        "channels": Channel.choices,
        "types": TicketType.choices,
        "priorities": Priority.choices,
        "tiers": Tier.choices,
        "teams": Team.objects.all(),
        "calendars": BusinessCalendar.objects.all(),
        "recomputes": selectors.list_recomputes(policy=row) if row else [],
        **_banner(),
    }
    return render(request, "sla/policy.html", context, status=422 if error else 200)


# --------------------------------------------------------------------------- next year's notice

RANGE = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:~|～|\.\.|至|–|—|到)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*(.*)$"
)


def _iso(text: str) -> date:
    try:
        y, m, d = (int(x) for x in text.split("-"))
        return date(y, m, d)
    except ValueError:
        raise DomainError(
            _("“%(text)s” is not a date: write YYYY-MM-DD.") % {"text": text}, field="days"
        ) from None


def _notice_days(text: str) -> list[services.NoticeDay]:
    """One line a holiday: "2027-01-01 元旦" or a span "2027-10-01 ~ 2027-10-07 国庆节"."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = RANGE.match(line)
        if not match:
            raise DomainError(
                _("“%(line)s”: write a date or a span and the name, e.g. 2027-10-01 ~ 2027-10-07 国庆节.")
                % {"line": line[:60]},
                field="days",
            )
        first = _iso(match.group(1))
        last = _iso(match.group(2)) if match.group(2) else first
        if last < first or (last - first).days > 40:
            raise DomainError(
                _("“%(line)s”: the span must run forward and last at most 40 days.") % {"line": line[:60]},
                field="days",
            )
        name = match.group(3).strip()
        day = first
        while day <= last:
            out.append(services.NoticeDay(day, name))
            day += timedelta(days=1)
    return out


def _notice_text(row: StatutoryYear | None, kind: str) -> str:
    """The entered days back as the lines of the form (consecutive days of one name as a span)."""
    if row is None:
        return ""
    lines: list[list[Any]] = []
    for entry in row.days:
        if entry.get("kind") != kind:
            continue
        day = date.fromisoformat(entry["day"])
        if lines and lines[-1][2] == entry["name"] and lines[-1][1] + timedelta(days=1) == day:
            lines[-1][1] = day
        else:
            lines.append([day, day, entry["name"]])
    return "\n".join(
        f"{a.isoformat()} {name}" if a == b else f"{a.isoformat()} ~ {b.isoformat()} {name}"
        for a, b, name in lines
    )


def statutory_year_edit(request: HttpRequest, year: int) -> HttpResponse:
    if denied := _supervisor(request):
        return denied
    row = StatutoryYear.objects.filter(year=year).first()
    error: DomainError | None = None
    if request.method == "POST":
        data = request.POST
        try:
            row = services.save_statutory_year(
                by=request.user,  # type: ignore[arg-type]
                year=year,
                holidays=_notice_days(data.get("holidays", "")),
                workdays=_notice_days(data.get("workdays", "")),
                notice=data.get("notice", ""),
            )
            messages.success(
                request, _("The holidays of %(year)s are saved; the calendars use them now.") % {"year": year}
            )
            return redirect("sla:statutory_year", year=year)
        except DomainError as exc:
            error = exc
    form = request.POST if request.method == "POST" else None
    context = {
        "year": year,
        "row": row,
        "error": error,
        "known_until": bt.last_statutory_year(),
        "notice": form.get("notice", "") if form else (row.notice if row else ""),
        "holidays": form.get("holidays", "") if form else _notice_text(row, services.HOLIDAY),
        "workdays": form.get("workdays", "") if form else _notice_text(row, services.MAKEUP),
    }
    return render(request, "sla/statutory_year.html", context, status=422 if error else 200)


def _moved_text(row: Any) -> str:
    done = getattr(row, "recomputed", None)
    if done is None:
        return ""
    if done.queued:
        return _("The due times of %(n)d running timers are being recomputed in the background.") % {
            "n": done.checked
        }
    return _("Due times recomputed: %(moved)d running timers moved on %(tickets)d open tickets.") % {
        "moved": done.moved + done.cancelled,
        "tickets": done.tickets,
    }


def _fmt_minutes(seconds: int) -> str:
    minutes = seconds / 60
    return str(int(minutes)) if minutes == int(minutes) else f"{minutes:g}"
