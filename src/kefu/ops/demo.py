"""The demo organisation 云杉优品: people, customers, categories and ~500 realistic tickets.

Everything goes through the real services (intake.receive, tickets.reply/add_note/update_ticket…)
so events, first-contact owners and the search index are right; afterwards each step's rows are
backdated with queryset .update() to spread the tickets over the last 90 days. Generation is
deterministic (one random.Random per ticket, seeded from the demo seed and the ticket's index),
and every row has a natural key, so running it twice adds nothing.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction

from kefu.accounts.models import Department, Role, Skill, Team, User
from kefu.accounts.services import create_user
from kefu.core import events
from kefu.core.clock import now
from kefu.customers.models import Customer, Organisation, Tier
from kefu.intake.models import RawInbound
from kefu.intake.services import InboundMessage, receive
from kefu.tickets import services as tickets
from kefu.tickets.models import Category, Channel, Message, MessageKind, Ticket, TicketEvent, TicketShare
from kefu.tickets.states import Status

from . import demo_content as content
from .progress import Steps

DEFAULT_TICKETS = 500
DEFAULT_CUSTOMERS = 300
DEFAULT_SEED = 2026
SPAN_DAYS = 90

STATUS_WEIGHTS = {
    Status.NEW: 8,
    Status.OPEN: 15,
    Status.PENDING: 10,
    Status.ON_HOLD: 7,
    Status.SOLVED: 25,
    Status.CLOSED: 35,
}
CHANNEL_WEIGHTS = {Channel.EMAIL: 30, Channel.CHAT: 30, Channel.WEB: 20, Channel.PHONE: 15, Channel.API: 5}
PRIORITY_WEIGHTS = {"low": 15, "normal": 55, "high": 22, "urgent": 8}
TYPES = ("consultation", "complaint", "after_sales", "technical", "suggestion")
COVER = 60


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    name: str


def demo_logins() -> list[Login]:
    password = content.DEMO_PASSWORD
    return [
        Login("admin", "admin", password, "管理员"),
        Login("supervisor", "zhaomin", password, "赵敏"),
        Login("agent", "lina", password, "李娜"),
        Login("qa", "sunli", password, "孙丽"),
        Login("department", "chengang", password, "陈刚"),
        Login("customer", content.DEMO_CUSTOMER[0], password, content.DEMO_CUSTOMER[1]),
    ]


@dataclass
class Summary:
    users: int
    customers: int
    tickets_created: int
    tickets_total: int


# --------------------------------------------------------------------------- people


@cache
def _password_hash() -> str:
    """The demo password hashed once for every demo login: Argon2 takes a noticeable time per hash."""
    return make_password(content.DEMO_PASSWORD)


def _user(username: str, display_name: str, role: str, *, email: str = "") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(
            username=username,
            password=None,
            role=role,
            email=email or f"{username}@yunshan.example.cn",
            display_name=display_name,
        )
        user.password = _password_hash()
        User.objects.filter(pk=user.pk).update(password=user.password)
        return user
    if user.role != role or user.display_name != display_name:
        user.role, user.display_name = role, display_name
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["role", "display_name", "is_staff", "is_superuser"])
    return user


def ensure_people() -> dict[str, User]:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in content.TEAMS}
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in content.DEPARTMENTS}
    skills = {name: Skill.objects.get_or_create(name=name)[0] for name in content.SKILLS}
    people = {"admin": _user("admin", "管理员", Role.ADMIN)}
    for username, name, role, team_names, seniority, skill_names in content.STAFF:
        user = _user(username, name, role)
        if user.seniority != seniority:
            User.objects.filter(pk=user.pk).update(seniority=seniority)
        user.teams.set([teams[t] for t in team_names])
        user.skills.set([skills[s] for s in skill_names])
        people[username] = user
    for username, name, department in content.DEPARTMENT_MEMBERS:
        user = _user(username, name, Role.DEPARTMENT)
        if user.department_id != departments[department].pk:
            User.objects.filter(pk=user.pk).update(department=departments[department])
            user.department = departments[department]
        people[username] = user
    for team_name, username in content.TEAM_LEADS.items():
        Team.objects.filter(pk=teams[team_name].pk).update(
            lead=people[username], email=f"{username}@yunshan.example.cn"
        )
    return people


# --------------------------------------------------------------------------- customers


def _tier(spend: int) -> str:
    if spend >= 20000:
        return Tier.PREMIUM_VIP
    if spend >= 5000:
        return Tier.VIP
    return Tier.REGULAR


def _customer_rows(count: int, seed: int) -> list[dict]:
    """The customers as plain dicts: deterministic for a seed, independent of the ticket count."""
    rng = random.Random(f"{seed}:customers")
    orgs = content.ORGANISATIONS
    rows = []
    for n in range(count):
        spend = int(rng.lognormvariate(7.8, 1.1))
        row = {
            "username": f"kh{n:04d}",
            "name": rng.choice(content.SURNAMES) + rng.choice(content.GIVEN),
            "email": f"kh{n:04d}@example.cn",
            "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "city": rng.choice(content.CITIES),
            "spend": spend,
            "language": "zh-hans",
            "org": None,
        }
        if n == 0:
            row.update(
                username=content.DEMO_CUSTOMER[0],
                name=content.DEMO_CUSTOMER[1],
                email=content.DEMO_CUSTOMER[2],
            )
            row["spend"] = 12800
        elif n <= len(content.ENGLISH_CUSTOMERS):
            name, email = content.ENGLISH_CUSTOMERS[n - 1]
            row.update(name=name, email=email, language="en", city="Hong Kong")
        elif n % 10 == 0:
            org = orgs[(n // 10) % len(orgs)]
            row.update(email=f"kh{n:04d}@{org[1]}", org=org[0], spend=spend * 3)
        rows.append(row)
    return rows


def ensure_customers(count: int, seed: int) -> list[Customer]:
    orgs = {
        name: Organisation.objects.get_or_create(
            name=name, defaults={"domain": domain, "share_tickets": share}
        )[0]
        for name, domain, share in content.ORGANISATIONS
    }
    rows = _customer_rows(count, seed)
    password = _password_hash()  # one hash for all: hashing 300 times is slow
    existing_users = set(
        User.objects.filter(username__in=[r["username"] for r in rows]).values_list("username", flat=True)
    )
    User.objects.bulk_create(
        [
            User(
                username=r["username"],
                email=r["email"],
                display_name=r["name"],
                role=Role.CUSTOMER,
                password=password,
                language=r["language"],
            )
            for r in rows
            if r["username"] not in existing_users
        ]
    )
    users = {u.username: u for u in User.objects.filter(username__in=[r["username"] for r in rows])}
    existing = set(
        Customer.objects.filter(email__in=[r["email"] for r in rows]).values_list("email", flat=True)
    )
    Customer.objects.bulk_create(
        [
            Customer(
                user=users[r["username"]],
                name=r["name"],
                email=r["email"],
                phone=r["phone"],
                city=r["city"],
                language=r["language"],
                annual_spend=Decimal(r["spend"]),
                tier=_tier(r["spend"]),
                organisation=orgs[r["org"]] if r["org"] else None,
            )
            for r in rows
            if r["email"] not in existing
        ]
    )
    by_email = {
        c.email: c
        for c in Customer.objects.select_related("user").filter(email__in=[r["email"] for r in rows])
    }
    return [by_email[r["email"]] for r in rows]


def ensure_categories() -> dict[tuple[str, str], Category]:
    out = {}
    for parent_name, (parent_en, children) in content.CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(
            name=parent_name, parent=None, defaults={"name_en": parent_en}
        )
        for name, name_en in children:
            out[(parent_name, name)] = Category.objects.get_or_create(
                name=name, parent=parent, defaults={"name_en": name_en}
            )[0]
    return out


# --------------------------------------------------------------------------- tickets


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Builder:
    """Builds one ticket step by step; each step's new rows get that step's (past) time."""

    def __init__(
        self,
        index: int,
        seed: int,
        people: dict[str, User],
        customers: list[Customer],
        categories: dict[tuple[str, str], Category],
        teams: dict[str, Team],
        departments: dict[str, Department],
        current: datetime,
    ):
        self.rng = random.Random(f"{seed}:ticket:{index}")
        self.index, self.people, self.current = index, people, current
        self.customers, self.categories, self.teams, self.departments = (
            customers,
            categories,
            teams,
            departments,
        )
        self.started = now()
        self.ticket: Ticket | None = None

    # -- text
    def _text(self, choices: tuple[str, ...], **extra: str) -> str:
        template = self.rng.choice(choices)
        values = dict(self.values)
        values["greeting"] = self.rng.choice(content.GREETINGS).format(**values)
        values["sign_off"] = self.rng.choice(content.SIGN_OFFS)
        values.update(extra)
        return template.format(**values)

    # -- time
    def _at(self, when: datetime) -> datetime:
        return min(when, self.current - timedelta(minutes=1))

    def _stamp(self, when: datetime) -> datetime:
        """Give the rows written since the last stamp this step's time."""
        when = self._at(when)
        fresh = {"ticket": self.ticket, "created_at__gte": self.started}
        Message.objects.filter(**fresh).update(created_at=when)
        TicketEvent.objects.filter(**fresh).update(created_at=when)
        TicketShare.objects.filter(**fresh).update(created_at=when)
        self.clock = when
        return when

    def _later(self, low_minutes: float, high_minutes: float) -> datetime:
        return self._at(self.clock + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes)))

    # -- the story
    def build(self) -> bool:
        rng = self.rng
        scenario = rng.choices(content.SCENARIOS, weights=[s.weight for s in content.SCENARIOS])[0]
        status = _weighted(rng, STATUS_WEIGHTS)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        priority = _weighted(rng, PRIORITY_WEIGHTS)
        if self.index < COVER:  # the first tickets walk through every value, so even a small demo has all
            i = self.index
            status, channel = list(STATUS_WEIGHTS)[i % 6], list(CHANNEL_WEIGHTS)[i % 5]
            priority = list(PRIORITY_WEIGHTS)[i % 4]
            wanted = TYPES[i % len(TYPES)]
            scenario = rng.choice(
                [s for s in content.SCENARIOS if s.type == wanted and s.english == (i % 20 == 7)]
                or [s for s in content.SCENARIOS if s.type == wanted]
            )
        if scenario.type == "complaint" and priority in ("low", "normal") and rng.random() < 0.6:
            priority = "high"
        pool = (
            self.customers[1 : 1 + len(content.ENGLISH_CUSTOMERS)]
            if scenario.english
            else [c for c in self.customers if c.language != "en"]
        )
        customer = pool[0] if self.index % 25 == 0 and not scenario.english else rng.choice(pool)
        age_days = {Status.NEW: 3, Status.OPEN: 14, Status.PENDING: 14, Status.ON_HOLD: 20}.get(
            status, SPAN_DAYS
        )
        start = self.current - timedelta(days=rng.uniform(0.05, age_days))
        surname = customer.name[0] if customer.language != "en" else customer.name.split()[0]
        self.values = {
            "name": customer.name
            if customer.language == "en"
            else f"{surname}{rng.choice(['先生', '女士'])}",
            "order": f"YS{start:%Y%m%d}{rng.randrange(10**6):06d}",
            "product": rng.choice(content.PRODUCTS),
            "product_en": rng.choice(content.PRODUCTS_EN),
            "courier": rng.choice(content.COURIERS),
            "tracking": f"{rng.randrange(10**11, 10**12)}",
            "amount": f"{rng.choice([59, 89, 129, 199, 268, 399, 598, 1299])}.00",
            "points": str(rng.choice([100, 200, 300, 500])),
            "coupon": f"YSQ{rng.randrange(10**6):06d}",
            "days": str(rng.randint(2, 10)),
            "org": customer.organisation.name if customer.organisation_id else "云杉优品合作伙伴",
        }
        received = receive(
            InboundMessage(
                channel=channel,
                external_id=f"demo-{self.index:05d}",
                from_email=customer.email,
                from_name=customer.name,
                subject=self._text(scenario.subjects),
                body_text=self._text(scenario.openings),
                type=scenario.type,
                priority=priority,
                language=customer.language,
            ),
            by=customer.user,
        )
        if not received.created:
            return False  # loaded by an earlier run
        self.ticket = ticket = received.ticket
        self.clock = start
        self._stamp(start)
        RawInbound.objects.filter(channel=channel, external_id=f"demo-{self.index:05d}").update(
            received_at=start, processed_at=start
        )
        lead = self.people["zhaomin"]
        team = self.teams[scenario.team]
        category = self.categories[scenario.category]
        if status == Status.NEW:
            if rng.random() < 0.5:
                ticket = tickets.update_ticket(ticket, by=lead, version=None, team=team, category=category)
                self._stamp(self._later(1, 30))
            return self._finish(ticket, customer)
        agent = self._pick_agent(scenario)
        tags = list(scenario.tags) + (["VIP"] if customer.tier != Tier.REGULAR else [])
        ticket = tickets.update_ticket(
            ticket, by=lead, version=None, team=team, category=category, assignee=agent, tags=tags
        )
        self._stamp(self._later(2, 40))
        quick = priority in ("high", "urgent")
        tickets.reply(ticket, body=self._text(scenario.replies), by=agent)
        self.first_response = self._stamp(self._later(3, 60 if quick else 360))
        if status == Status.PENDING:
            ticket = tickets.change_status(ticket, to=Status.PENDING, by=agent)
            self._stamp(self._later(1, 5))
            return self._finish(ticket, customer)
        if status != Status.ON_HOLD and rng.random() < 0.75:
            tickets.reply(ticket, body=self._text(scenario.follow_ups), by=customer.user, channel=channel)
            self._stamp(self._later(10, 60 * 20))
        if scenario.notes and rng.random() < 0.5:
            tickets.add_note(ticket, body=self._text(scenario.notes), by=agent)
            self._stamp(self._later(5, 120))
        shared = status == Status.ON_HOLD or (scenario.department and rng.random() < 0.5)
        if shared:
            department = self.departments[scenario.department or "仓储"]
            tickets.share_with_department(ticket, department=department, by=agent)
            tickets.add_note(
                ticket,
                by=agent,
                body=f"@{department.name} 麻烦协助处理，订单 {self.values['order']}，谢谢！",
            )
            self._stamp(self._later(5, 60))
            if status != Status.ON_HOLD or rng.random() < 0.4:
                member = self.people[
                    next(u for u, _, d in content.DEPARTMENT_MEMBERS if d == department.name)
                ]
                tickets.add_note(
                    ticket, by=member, body=self._text(scenario.department_notes or ("已收到，正在处理。",))
                )
                self._stamp(self._later(30, 60 * 24))
        if status == Status.ON_HOLD:
            ticket.refresh_from_db()
            ticket = tickets.change_status(ticket, to=Status.ON_HOLD, by=agent)
            self._stamp(self._later(1, 10))
            return self._finish(ticket, customer)
        if status == Status.OPEN:
            ticket.refresh_from_db()
            return self._finish(ticket, customer)
        tickets.reply(ticket, body=self._text(scenario.closings), by=agent)
        self._stamp(self._later(30, 60 * 30))
        if rng.random() < 0.5:
            tickets.reply(ticket, body=rng.choice(scenario.thanks), by=customer.user, channel=channel)
            self._stamp(self._later(5, 300))
        ticket.refresh_from_db()
        ticket = tickets.change_status(ticket, to=Status.SOLVED, by=agent)
        self.solved = self._stamp(self._later(1, 10))
        if status == Status.CLOSED:
            ticket = tickets.change_status(ticket, to=Status.CLOSED, by=agent)
            self.closed = self._stamp(self._later(60 * 24, 60 * 24 * 3))
        return self._finish(ticket, customer)

    def _pick_agent(self, scenario: content.Scenario) -> User:
        agents = [
            u
            for u in self.people.values()
            if u.role in (Role.AGENT, Role.SENIOR_AGENT)
            and any(t.name == scenario.team for t in u.teams.all())
        ]
        if scenario.english:
            agents = [u for u in self.people.values() if any(s.name == "English" for s in u.skills.all())]
        return self.rng.choice(agents)

    def _finish(self, ticket: Ticket, customer: Customer) -> bool:
        messages = Message.objects.filter(ticket=ticket).order_by("created_at", "pk")
        public = [m for m in messages if m.kind == MessageKind.PUBLIC]
        first_reply = next((m.created_at for m in public if not m.from_customer), None)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=public[0].created_at,
            updated_at=self.clock,
            last_message_at=public[-1].created_at,
            first_response_at=first_reply,
            solved_at=getattr(self, "solved", None)
            if ticket.status in (Status.SOLVED, Status.CLOSED)
            else None,
            closed_at=getattr(self, "closed", None) if ticket.status == Status.CLOSED else None,
        )
        return True


# Apps that bring their own demo content in `kefu.<app>.demo`: `load_config()` runs before the
# tickets (mailboxes, policies, rules, articles), `after_tickets()` after them (timers, indexes).
# Each must be safe to run twice, like the rest of the demo.
DEMO_APPS = (
    "customers",
    "routing",
    "sla",
    "automation",
    "knowledge",
    "mail",
    "feedback",
    "care",
    "collaboration",
    "quality",
    "training",
    "workforce",
    "emergency",
    "plans",
)


def _app_demos() -> list:
    parts = []
    for app in DEMO_APPS:
        try:
            parts.append(importlib.import_module(f"kefu.{app}.demo"))
        except ModuleNotFoundError as err:
            if err.name != f"kefu.{app}.demo":
                raise
    return parts


# What each app's demo step is called in the progress lines.
APP_STEPS = {
    "customers": ("orders and tiers", None),
    "routing": ("routing rules", "triage models"),
    "sla": ("SLA calendars and policies", "SLA timers"),
    "automation": ("scripts, triggers and macros", None),
    "knowledge": ("knowledge base and bot questions", None),
    "mail": ("mailbox", None),
    "feedback": (None, "survey answers"),
    "care": (None, "callbacks and key-customer care"),
    "collaboration": ("department task settings", "department tasks"),
    "quality": ("QA scorecards", "QA samples and reviews"),
    "training": ("courses and programmes", "trainees and mentors"),
    "workforce": ("shift patterns", "forecast and roster"),
    "emergency": ("emergency plans", None),
    "plans": (None, "work plan actions and suggestions"),
}
# After-ticket steps nothing on the first page needs: training the triage models (CPU-bound, the
# longest step) can run while the first page is already served.
LATER_APPS = ("routing",)
TICKETS_PER_TRANSACTION = 25  # one commit per 25 tickets, and their search rows written once


def load_demo(
    *,
    tickets_count: int = DEFAULT_TICKETS,
    customers_count: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    progress: bool | Steps = True,
    later: list[tuple[str, Callable[[], None]]] | None = None,
    history: bool | None = None,
) -> Summary:
    """Load or refresh the demo organisation; what is already there is kept, never duplicated.

    `history`: also write fifteen months of closed tickets before the detailed ones, so the
    dashboards and reports have shape (ops.demo_history); by default only for a full-size demo.

    `progress`: a `Steps` to report each step in (one line each, with its time), True for stderr.
    `later`: a list to put the steps of `LATER_APPS` in instead of running them (`kefu up` runs
    them once the web answers); without it every step runs here."""
    steps = progress if isinstance(progress, Steps) else Steps(sys.stderr if progress else None)
    _password_hash.cache_clear()  # hashed with this run's settings
    with steps.step("demo: people, customers, categories"), transaction.atomic():
        people = ensure_people()
        customers = ensure_customers(customers_count, seed)
        categories = ensure_categories()
    teams = {t.name: t for t in Team.objects.filter(name__in=content.TEAMS)}
    departments = {d.name: d for d in Department.objects.filter(name__in=content.DEPARTMENTS)}
    people = {  # re-read with teams and skills, which _pick_agent looks at for every ticket
        u.username: u
        for u in User.objects.filter(pk__in=[u.pk for u in people.values()]).prefetch_related(
            "teams", "skills"
        )
    }
    parts = _app_demos()
    for part in parts:
        if hasattr(part, "load_config"):
            with steps.step(f"demo: {_step_name(part, 0)}"):
                part.load_config()
    from . import demo_history  # imports ops.seed, which imports this module

    current = now()
    history = history if history is not None else tickets_count >= DEFAULT_TICKETS
    if history:
        with steps.step("demo: months of history") as advance:
            demo_history.load_history(seed=seed, current=current, progress=advance)
    created = 0
    # The past happened already: no auto-replies or routing for it. The tickets are written in
    # batches, each in one transaction whose search rows and event markers are written once at its end.
    with steps.step(f"demo: {tickets_count} tickets") as advance, events.muted():
        for first in range(0, tickets_count, TICKETS_PER_TRANSACTION):
            with transaction.atomic(), tickets.batched():
                for index in range(first, min(first + TICKETS_PER_TRANSACTION, tickets_count)):
                    builder = _Builder(
                        index, seed, people, customers, categories, teams, departments, current
                    )
                    created += builder.build()
            advance(min(first + TICKETS_PER_TRANSACTION, tickets_count), tickets_count)
    if history:  # the finished tickets' SLA outcomes, so the compliance chart goes on to today
        demo_history.settle_outcomes(current=current)
    for part in parts:
        if hasattr(part, "after_tickets"):
            name = f"demo: {_step_name(part, 1)}"
            if later is not None and _app(part) in LATER_APPS:
                later.append((name, part.after_tickets))
                continue
            with steps.step(name):
                part.after_tickets()
    return Summary(
        users=User.objects.exclude(role=Role.CUSTOMER).count(),
        customers=Customer.objects.count(),
        tickets_created=created,
        tickets_total=Ticket.objects.count(),
    )


def _app(part) -> str:
    return part.__name__.split(".")[-2]


def _step_name(part, which: int) -> str:
    return APP_STEPS.get(_app(part), (_app(part), _app(part)))[which] or _app(part)
