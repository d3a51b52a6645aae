"""The demo's past: about fifteen months of closed tickets before the detailed demo tickets, so the
dashboards and the monthly report have shape — volume growing over the year, quieter weekends, the
Double 11 after-sales wave in November, the Spring Festival lull, a 618 bump in June, first
responses and resolutions getting faster, SLA compliance improving, a few reopened tickets.

The detailed demo (ops.demo) writes its ~500 tickets through the real services, which costs about
a tenth of a second each; a year of history that way would take minutes. These tickets are written
in bulk like `kefu seed` (ops.seed's writer: tickets, messages, the event log a conversation
leaves, search rows), plus the SLA outcomes a finished ticket has (its first-response and
resolution timers, met or breached). Deterministic for a seed; a Marker makes a second run a no-op.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils.html import escape

from kefu.accounts.models import Role, Team, User
from kefu.customers.models import Customer
from kefu.sla.models import SlaTimer, TimerState
from kefu.tickets import search
from kefu.tickets.models import Category, format_number
from kefu.tickets.states import Status

from . import demo_content as content
from .models import Marker
from .seed import _fill, _Writer

HISTORY_FROM_DAYS = 460  # the history starts this many days ago (the same month last year, and more)
DETAILED_DAYS = 90  # where ops.demo's detailed tickets take over (its SPAN_DAYS)
CHANNELS = {"email": 28, "chat": 34, "web": 18, "phone": 15, "api": 5}
PRIORITIES = {"low": 15, "normal": 57, "high": 21, "urgent": 7}
# First-response and resolution targets by priority (calendar seconds), as the demo's SLA reads them.
FIRST_RESPONSE = {"urgent": 1800, "high": 3600, "normal": 2 * 3600, "low": 4 * 3600}
RESOLUTION = {"urgent": 8 * 3600, "high": 24 * 3600, "normal": 48 * 3600, "low": 72 * 3600}
BATCH = 400


def marker_name(seed: int) -> str:
    return f"demo_history:{seed}"


def _holiday(day: date) -> bool:
    try:
        from chinese_calendar import is_holiday

        return bool(is_holiday(day)) and day.weekday() < 5
    except (ImportError, NotImplementedError):
        return False


def expected(day: date, progress: float) -> float:
    """Tickets a day of the history brings: growth over the year, the week's and the year's rhythm."""
    n = 3.0 + 2.5 * progress
    if day.weekday() >= 5:
        n *= 0.6
    if day.month == 11 and 11 <= day.day <= 25:  # after Double 11: returns, late parcels
        n *= 2.2
    if day.month == 6 and 18 <= day.day <= 28:  # after 618
        n *= 1.5
    if _holiday(day):  # Spring Festival, National Day…
        n *= 0.4
    return n


def _count(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; means here stay small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _History:
    def __init__(self, seed: int, current: datetime) -> None:
        self.seed, self.current = seed, current
        self.writer = _Writer()
        self.customers = list(
            Customer.objects.filter(email__endswith="@example.cn", language="zh-hans")
            .order_by("pk")
            .values_list("pk", "user_id", "name", "email", "phone")
        )
        self.teams = {t.name: t for t in Team.objects.filter(name__in=content.TEAMS)}
        self.lead = User.objects.filter(username="zhaomin").values_list("pk", flat=True).first()
        self.agents: dict[str, list[tuple[int, str]]] = {}
        for user in User.objects.filter(role__in=(Role.AGENT, Role.SENIOR_AGENT)).prefetch_related("teams"):
            for team in user.teams.all():
                self.agents.setdefault(team.name, []).append((user.pk, user.name))
        self.categories = {
            (c.parent.name, c.name): c
            for c in Category.objects.select_related("parent").filter(parent__isnull=False)
        }
        self.scenarios = [s for s in content.SCENARIOS if not s.english and s.team in self.agents]

    def day_tickets(self, day: date, progress: float) -> list[dict[str, Any]]:
        rng = random.Random(f"{self.seed}:history:{day.isoformat()}")
        out = []
        for n in range(_count(rng, expected(day, progress))):
            out.append(self.ticket(rng, day, n, progress))
        return out

    def ticket(self, rng: random.Random, day: date, n: int, progress: float) -> dict[str, Any]:
        wave = day.month == 11 and 11 <= day.day <= 25
        weights = [s.weight * (3 if wave and s.type == "after_sales" else 1) for s in self.scenarios]
        scenario = rng.choices(self.scenarios, weights=weights)[0]
        priority = rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0]
        if scenario.type == "complaint" and priority in ("low", "normal") and rng.random() < 0.6:
            priority = "high"
        hour = rng.choices(
            range(24),
            weights=[1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 9, 10, 11, 11, 10, 9, 8, 8, 7, 5, 3, 2],
        )[0]
        zone = self.current.tzinfo
        created = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone)
        quick = 0.5 if priority in ("high", "urgent") else 1.0
        # First responses: a median of 190 minutes a year ago, 100 now (where the detailed demo
        # takes over); resolutions from 30 h to 18 h.
        first_minutes = min(rng.lognormvariate(math.log((190 - 90 * progress) * quick), 0.8), 3 * 24 * 60)
        solve_hours = min(rng.lognormvariate(math.log(30 - 12 * progress), 0.9), 12 * 24)
        return {
            "rng": rng,
            "scenario": scenario,
            "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
            "priority": priority,
            "customer": self.customers[rng.randrange(len(self.customers))],
            "agent": rng.choice(self.agents[scenario.team]),
            "created": created,
            "first": created + timedelta(minutes=max(1.0, first_minutes)),
            "solve_hours": solve_hours,
            "reopen": rng.random() < 0.07 - 0.03 * progress,
            "follow_up": rng.random() < 0.55,
            "one_reply": rng.random() < 0.35 + 0.2 * progress,  # the first answer solves it (FCR)
        }

    def write(
        self, pk: int, t: dict[str, Any], out: tuple[list, list, list, list], timers: list[SlaTimer]
    ) -> None:
        rng, scenario, w = t["rng"], t["scenario"], self.writer
        tickets, messages, events, docs = out
        customer_id, customer_user, customer_name, email, phone = t["customer"]
        agent, agent_name = t["agent"]
        values = {
            "name": f"{customer_name[0]}{rng.choice(['先生', '女士'])}",
            "order": f"YS{t['created']:%Y%m%d}{rng.randrange(10**6):06d}",
            "product": rng.choice(content.PRODUCTS),
            "product_en": rng.choice(content.PRODUCTS_EN),
            "courier": rng.choice(content.COURIERS),
            "tracking": str(rng.randrange(10**11, 10**12)),
            "amount": f"{rng.choice((59, 89, 129, 199, 268, 399, 598, 1299))}.00",
            "points": str(rng.choice((100, 200, 300, 500))),
            "coupon": f"YSQ{rng.randrange(10**6):06d}",
            "days": str(rng.randint(2, 10)),
            "org": "云杉优品合作伙伴",
        }
        subject = _fill(rng, rng.choice(scenario.subjects), values)[:300]
        team = self.teams[scenario.team]
        category = self.categories.get(scenario.category)
        created, first = t["created"], t["first"]
        bodies: list[str] = []

        def say(when: datetime, from_customer: bool, choices: tuple[str, ...]) -> None:
            body = _fill(rng, rng.choice(choices), values)
            bodies.append(body)
            author = customer_user if from_customer else agent
            messages.append(
                (
                    pk,
                    "public",
                    author,
                    from_customer,
                    t["channel"],
                    body,
                    f"<p>{escape(body)}</p>",
                    "",
                    w.when(when),
                )
            )

        def event(
            when: datetime, actor: int | None, kind: str, field: str = "", old: str = "", new: str = ""
        ) -> None:
            events.append((pk, actor, kind, field, old, new, w.when(when)))

        say(created, True, scenario.openings)
        event(created, customer_user, "created", new=format_number(pk))
        routed = created + timedelta(minutes=rng.uniform(1, 15))
        routed = (
            min(routed, first - timedelta(seconds=30)) if first - created > timedelta(minutes=1) else created
        )
        event(routed, self.lead, "changed", "team", "", team.name)
        if category is not None:
            event(routed, self.lead, "changed", "category", "", str(category))
        event(routed, self.lead, "assigned", "assignee", "", agent_name)
        say(first, False, scenario.replies)
        event(first, agent, "replied")
        event(first, agent, "changed", "first_contact_owner", "", agent_name)
        event(first, agent, "changed", "status", Status.NEW, Status.OPEN)
        clock = first
        if t["one_reply"]:
            solved = first + timedelta(minutes=rng.uniform(1, 20))
        else:
            if t["follow_up"]:
                clock += timedelta(minutes=rng.uniform(10, 600))
                say(clock, True, scenario.follow_ups)
                event(clock, customer_user, "customer_replied")
            solved = max(first, created + timedelta(hours=t["solve_hours"]), clock + timedelta(minutes=5))
            say(solved - timedelta(minutes=2), False, scenario.closings)
            event(solved - timedelta(minutes=2), agent, "replied")
        event(solved, agent, "changed", "status", Status.OPEN, Status.SOLVED)
        resolved_first = solved
        if t["reopen"]:
            again = solved + timedelta(hours=rng.uniform(12, 60))
            say(again, True, scenario.follow_ups)
            event(again, customer_user, "customer_replied")
            event(again, customer_user, "changed", "status", Status.SOLVED, Status.OPEN)
            solved = again + timedelta(hours=rng.uniform(1, 20))
            say(solved - timedelta(minutes=2), False, scenario.closings)
            event(solved - timedelta(minutes=2), agent, "replied")
            event(solved, agent, "changed", "status", Status.OPEN, Status.SOLVED)
        closed = solved + timedelta(days=rng.uniform(2, 4))
        status = Status.CLOSED if closed < self.current - timedelta(days=1) else Status.SOLVED
        if status == Status.CLOSED:
            event(closed, None, "changed", "status", Status.SOLVED, Status.CLOSED)
        last_message = first if t["one_reply"] and not t["reopen"] else solved - timedelta(minutes=2)
        tickets.append(
            (
                pk,
                w.when(created),
                w.when(closed if status == Status.CLOSED else solved),
                subject,
                t["channel"],
                scenario.type,
                t["priority"],
                status,
                1,
                w.when(first),
                w.when(solved),
                w.when(closed if status == Status.CLOSED else None),
                w.when(last_message),
                agent,
                category.pk if category else None,
                customer_id,
                agent,
                team.pk,
            )
        )
        docs.append((pk, *search.document(subject, f"{customer_name} {email} {phone}", bodies)))
        timers.extend(self.outcomes(pk, t["priority"], created, first, resolved_first))

    def outcomes(
        self, pk: int, priority: str, created: datetime, first: datetime, solved: datetime
    ) -> list[SlaTimer]:
        """The first-response and resolution timers of a finished ticket, met or breached."""
        out = []
        for metric, target, done in (
            ("first_response", FIRST_RESPONSE[priority], first),
            ("resolution", RESOLUTION[priority], solved),
        ):
            due = created + timedelta(seconds=target)
            met = done <= due
            out.append(
                SlaTimer(
                    ticket_id=pk,
                    metric=metric,
                    state=TimerState.MET if met else TimerState.BREACHED,
                    business_time=False,
                    target_seconds=target,
                    started_at=created,
                    due_at=due,
                    met_at=done,
                    breached_at=None if met else due,
                    stopped_at=done,
                )
            )
        return out


def load_history(*, seed: int, current: datetime, progress: Any = None) -> int:
    """Write the history once for this seed (a second run adds nothing); returns the tickets written."""
    if Marker.objects.filter(name=marker_name(seed)).exists():
        return 0
    history = _History(seed, current)
    if not history.customers or not history.agents:
        return 0
    first_day = (current - timedelta(days=HISTORY_FROM_DAYS)).date()
    last_day = (current - timedelta(days=DETAILED_DAYS)).date()
    span = (last_day - first_day).days
    days = [first_day + timedelta(days=i) for i in range(span + 1)]
    planned = [(day, t) for i, day in enumerate(days) for t in history.day_tickets(day, i / span)]
    written = 0
    for start in range(0, len(planned), BATCH):
        chunk = planned[start : start + BATCH]
        with transaction.atomic():
            pk = history.writer.next_id()
            out: tuple[list, list, list, list] = ([], [], [], [])
            timers: list[SlaTimer] = []
            for offset, (_day, t) in enumerate(chunk):
                history.write(pk + offset, t, out, timers)
            history.writer.write(*out)
            SlaTimer.objects.bulk_create(timers)
        written += len(chunk)
        if progress is not None:
            progress(written, len(planned))
    history.writer.finish()
    Marker.objects.create(name=marker_name(seed), value=str(written))
    from kefu.tickets.metrics import business

    business.fill_missing()  # the first responses in business minutes (as the periodic task would)
    return written


def settle_outcomes(*, current: datetime) -> int:
    """The SLA outcomes of the demo's finished tickets that have none: the detailed demo writes its
    past through the services with reactions muted, so only its open tickets get timers (sla.demo).
    Without these the compliance chart would drop to nothing where the detailed demo begins."""
    from django.db.models import Exists, OuterRef

    from kefu.tickets.models import Ticket

    finished = (
        Ticket.objects.filter(
            status__in=(Status.SOLVED, Status.CLOSED),
            first_response_at__isnull=False,
            solved_at__isnull=False,
            solved_at__lt=current,
        )
        .exclude(Exists(SlaTimer.objects.filter(ticket=OuterRef("pk"))))
        .values_list("pk", "priority", "created_at", "first_response_at", "solved_at")
    )
    history = _History.__new__(_History)
    timers = [t for row in finished for t in history.outcomes(*row)]
    SlaTimer.objects.bulk_create(timers, batch_size=500)
    return len(timers) // 2
