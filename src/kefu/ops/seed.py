"""Fast, deterministic bulk data for benchmarks: a million tickets with messages in minutes.

Rows are written with executemany in batches, one transaction per batch, bypassing the services
(which would cost a transaction and a reindex per ticket). Ticket i is generated from its own
random.Random(seed, i), so the same seed gives the same tickets and a re-run only tops up to N.
The search index is filled in the same batches through tickets.search, so keyword search over
seeded data works exactly as over real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.html import escape
from tqdm import tqdm

from kefu.accounts.models import Role, Team, User
from kefu.customers.models import Customer, Tier
from kefu.tickets import search
from kefu.tickets.models import Message, Ticket, TicketEvent, format_number
from kefu.tickets.states import Status

from . import demo_content as content
from .demo import ensure_categories
from .models import Marker

CUSTOMER_DOMAIN = "seed.example.cn"
SEED_LEAD = "seed_lead"  # a supervisor: sees every ticket (benchmarks log in as this user)
AGENTS_PER_TEAM = 10
SPAN_DAYS = 365
BATCH = 5000

STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED)
STATUS_WEIGHTS = (5, 12, 8, 5, 25, 45)
CHANNELS = ("email", "chat", "web", "phone", "api")
CHANNEL_WEIGHTS = (30, 30, 20, 15, 5)
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (15, 55, 22, 8)
SCENARIO_WEIGHTS = [s.weight for s in content.SCENARIOS]


@dataclass
class SeedResult:
    tickets_created: int
    tickets_total: int
    customers_total: int


def _marker_name(seed: int, messages: int) -> str:
    return f"seed:{seed}:{messages}"


def ensure_staff() -> dict[str, list[int]]:
    """The seed teams' agents (ids by team name) and the supervisor benchmarks log in as."""
    password = make_password(content.DEMO_PASSWORD)
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in content.TEAMS}
    if not User.objects.filter(username=SEED_LEAD).exists():
        User.objects.create(
            username=SEED_LEAD,
            display_name="压测主管",
            role=Role.SUPERVISOR,
            password=password,
            email=f"{SEED_LEAD}@{CUSTOMER_DOMAIN}",
        )
    agents: dict[str, list[int]] = {}
    for t, (name, team) in enumerate(teams.items()):
        ids = []
        for n in range(AGENTS_PER_TEAM):
            username = f"seed_agent_{t}{n:02d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    display_name=f"{content.SURNAMES[t * 10 + n]}{content.GIVEN[n]}",
                    role=Role.AGENT,
                    password=password,
                    email=f"{username}@{CUSTOMER_DOMAIN}",
                )
                user.teams.add(team)
            ids.append(user.pk)
        agents[name] = ids
    return agents


def ensure_customers(count: int, seed: int) -> list[tuple[int, str]]:
    """Top the seed customers up to `count`; returns (id, searchable text) in creation order."""
    existing = Customer.objects.filter(email__endswith="@" + CUSTOMER_DOMAIN).count()
    rng = random.Random(f"{seed}:seed-customers")
    rows = []
    for n in range(count):
        name = rng.choice(content.SURNAMES) + rng.choice(content.GIVEN)
        spend = int(rng.lognormvariate(7.8, 1.1))
        if n < existing:
            continue
        tier = Tier.PREMIUM_VIP if spend >= 20000 else Tier.VIP if spend >= 5000 else Tier.REGULAR
        rows.append(
            Customer(
                name=name,
                email=f"c{n:07d}@{CUSTOMER_DOMAIN}",
                phone=f"1{n:010d}",
                tier=tier,
                annual_spend=spend,
                city=content.CITIES[n % len(content.CITIES)],
            )
        )
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            Customer.objects.bulk_create(rows[start : start + BATCH])
    found = Customer.objects.filter(email__endswith="@" + CUSTOMER_DOMAIN).order_by("pk")
    return [
        (pk, f"{name} {email} {phone}")
        for pk, name, email, phone in found.values_list("pk", "name", "email", "phone")
    ]


class _Writer:
    """executemany INSERTs for tickets, messages, events and search rows, in the DB's own formats."""

    def __init__(self) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.ticket_cols = [
            "id",
            "created_at",
            "updated_at",
            "subject",
            "channel",
            "type",
            "priority",
            "status",
            "version",
            "first_response_at",
            "solved_at",
            "closed_at",
            "last_message_at",
            "assignee_id",
            "category_id",
            "customer_id",
            "first_contact_owner_id",
            "team_id",
        ]
        self.message_cols = [
            "ticket_id",
            "kind",
            "author_id",
            "from_customer",
            "channel",
            "body_text",
            "body_html",
            "external_id",
            "created_at",
        ]
        self.event_cols = ["ticket_id", "actor_id", "kind", "field", "old_value", "new_value", "created_at"]

    def when(self, value: datetime | None):
        """Naive UTC → what the column stores (text on SQLite, timestamptz on PostgreSQL)."""
        if value is None:
            return None
        return str(value) if self.sqlite else value.replace(tzinfo=UTC)

    def _insert(self, table: str, cols: list[str], rows: list[tuple]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        with connection.cursor() as cur:
            cur.executemany(sql, rows)

    def write(
        self, tickets: list[tuple], messages: list[tuple], events: list[tuple], docs: list[tuple]
    ) -> None:
        self._insert(Ticket._meta.db_table, self.ticket_cols, tickets)
        self._insert(Message._meta.db_table, self.message_cols, messages)
        self._insert(TicketEvent._meta.db_table, self.event_cols, events)
        search.upsert_rows(docs)

    def next_id(self) -> int:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
            return cur.fetchone()[0] + 1

    def finish(self) -> None:
        with connection.cursor() as cur:
            if self.sqlite:
                cur.execute("ANALYZE")
            else:
                table = Ticket._meta.db_table
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
                cur.execute(f"ANALYZE {table}")
                cur.execute(f"ANALYZE {Message._meta.db_table}")
                cur.execute("ANALYZE tickets_search")
                # Without statistics the planner takes the 100k seed customers for a few hundred and
                # hash-joins every ticket page and search hit against all of them.
                cur.execute(f"ANALYZE {Customer._meta.db_table}")


class _Ctx:
    """What every generated ticket draws from, resolved once."""

    def __init__(
        self,
        seed: int,
        messages: int,
        agents: dict[str, list[int]],
        customers: list[tuple[int, str]],
        categories: dict,
        writer: _Writer,
        current: datetime,
    ):
        self.seed, self.messages, self.agents, self.customers = seed, messages, agents, customers
        self.team_ids = {t.name: t.pk for t in Team.objects.filter(name__in=content.TEAMS)}
        self.categories = {key: c.pk for key, c in categories.items()}
        self.writer, self.current = writer, current
        self.burst = False  # `kefu seed --burst`: the new tickets arrive in the last hour


def _fill(rng: random.Random, template: str, values: dict[str, str]) -> str:
    values["greeting"] = rng.choice(content.GREETINGS).format(**values)
    values["sign_off"] = rng.choice(content.SIGN_OFFS)
    return template.format(**values)


def generate(index: int, pk: int, ctx: _Ctx, out: tuple[list, list, list, list]) -> None:
    """Append ticket `index` (database id `pk`) and its rows to the batch lists."""
    rng = random.Random(ctx.seed * 1_000_003 + index)
    tickets, messages, events, docs = out
    scenario = rng.choices(content.SCENARIOS, weights=SCENARIO_WEIGHTS)[0]
    status = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
    channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
    priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0]
    customer_id, customer_text = ctx.customers[rng.randrange(len(ctx.customers))]
    # Old enough for the whole conversation (≤ 10 h between messages) to lie in the past, and no two
    # tickets share a timestamp: keyset pages over updated_at then behave as on real data.
    oldest_allowed = ctx.messages * 36000 + 3600
    created = ctx.current - timedelta(seconds=rng.uniform(oldest_allowed, SPAN_DAYS * 86400 + oldest_allowed))
    if ctx.burst:  # a surge: new, unanswered tickets created in the last hour
        status = Status.NEW
        created = ctx.current - timedelta(seconds=rng.uniform(60, 3540))
    values = {
        "name": rng.choice(content.SURNAMES) + rng.choice(("先生", "女士")),
        "order": f"YS{created:%Y%m%d}{rng.randrange(10**6):06d}",
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
    team_agents = ctx.agents[scenario.team]
    assignee = (
        None if status == Status.NEW and rng.random() < 0.7 else team_agents[rng.randrange(len(team_agents))]
    )
    # The conversation: the customer opens, then agent and customer take turns.
    script = [
        (True, scenario.openings),
        (False, scenario.replies),
        (True, scenario.follow_ups),
        (False, scenario.closings),
        (True, scenario.thanks),
    ]
    count = ctx.messages if assignee and not ctx.burst else 1
    when = created
    bodies = []
    first_response = None
    w = ctx.writer
    for n in range(count):
        from_customer, choices = script[n % len(script)]
        if n:
            when = when + timedelta(seconds=rng.uniform(120, 36000))
        body = _fill(rng, rng.choice(choices), values)
        author = None if from_customer else assignee
        if not from_customer and first_response is None:
            first_response = when
        bodies.append(body)
        messages.append(
            (pk, "public", author, from_customer, channel, body, f"<p>{escape(body)}</p>", "", w.when(when))
        )
        if n:  # the event log a real conversation leaves (handling time and response metrics read it)
            kind = "customer_replied" if from_customer else "replied"
            events.append((pk, author, kind, "", "", "", w.when(when)))
    last_message = when
    updated = when + timedelta(seconds=rng.uniform(60, 3600))
    solved = updated if status in (Status.SOLVED, Status.CLOSED) else None
    closed = updated if status == Status.CLOSED else None
    category = ctx.categories[scenario.category]
    team_id = ctx.team_ids[scenario.team]
    tickets.append(
        (
            pk,
            w.when(created),
            w.when(updated),
            subject,
            channel,
            scenario.type,
            priority,
            status,
            1,
            w.when(first_response),
            w.when(solved),
            w.when(closed),
            w.when(last_message),
            assignee,
            category,
            customer_id,
            assignee if first_response else None,
            team_id,
        )
    )
    events.append((pk, None, "created", "", "", format_number(pk), w.when(created)))
    if solved:  # solved (and closed) through a status change, as the ticket services record it
        events.append(
            (pk, assignee, "changed", "status", Status.OPEN.value, Status.SOLVED.value, w.when(solved))
        )
        if closed:
            events.append(
                (pk, None, "changed", "status", Status.SOLVED.value, Status.CLOSED.value, w.when(closed))
            )
    docs.append((pk, *search.document(subject, customer_text, bodies)))


def seed(
    *,
    tickets: int,
    customers: int,
    seed: int = 1,
    messages_per_ticket: int = 3,
    progress: bool = True,
    batch: int = BATCH,
    burst: bool = False,
) -> SeedResult:
    """Make sure the seed data set (seed, messages_per_ticket) holds `tickets` tickets; top up if short."""
    agents = ensure_staff()
    customer_ids = ensure_customers(max(1, customers), seed)
    categories = ensure_categories()
    marker, _ = Marker.objects.get_or_create(
        name=_marker_name(seed, messages_per_ticket), defaults={"value": "0"}
    )
    done = int(marker.value or 0)
    writer = _Writer()
    current = datetime.now(UTC).replace(tzinfo=None)
    ctx = _Ctx(seed, max(1, messages_per_ticket), agents, customer_ids, categories, writer, current)
    ctx.burst = burst
    todo = max(0, tickets - done)
    bar = tqdm(total=tickets, initial=done, desc="seed tickets", unit="ticket", disable=not progress)
    index = done
    while index < tickets:
        size = min(batch, tickets - index)
        with transaction.atomic():
            pk = writer.next_id()
            out: tuple[list, list, list, list] = ([], [], [], [])
            for offset in range(size):
                generate(index + offset, pk + offset, ctx, out)
            writer.write(*out)
            index += size
            Marker.objects.filter(pk=marker.pk).update(value=str(index))
        bar.update(size)
    bar.close()
    if todo:
        writer.finish()
        # Survey answers for the seeded solved tickets (the analytics benchmark reads CSAT).
        from kefu.feedback.seed import seed_surveys

        seed_surveys(seed=seed, batch=batch)
    return SeedResult(
        tickets_created=todo,
        tickets_total=Ticket.objects.count(),
        customers_total=len(customer_ids),
    )
