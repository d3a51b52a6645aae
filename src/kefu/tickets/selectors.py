"""Read queries for tickets. Every view and API handler reaches tickets through `visible_tickets`
or `access_ticket`: fail closed, and "not yours" is the same 404 as "missing"."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kefu.accounts.models import AccessSettings, Team, User
from kefu.core.errors import ValidationFailed
from kefu.core.text import highlight_terms

from . import search
from .errors import TicketNotFound
from .models import (
    Attachment,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
    TicketLink,
    ascii_digits,
    parse_number,
)
from .states import OPEN_STATUSES

# --------------------------------------------------------------------------- access


def visible_tickets(user: Any) -> QuerySet[Ticket]:
    """The tickets this user may see. No role, inactive or anonymous → nothing."""
    qs = Ticket.objects.filter(merged_into__isnull=True)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.sees_all_tickets:
        return qs
    if user.is_agent:
        # Subqueries instead of Python lookups: one SQL statement per list or count, and the
        # admin's "all agents see all" option and team membership are read fresh every time.
        see_all = Exists(AccessSettings.objects.filter(agents_see_all=True))
        my_teams = Team.objects.filter(members=user).values("pk")
        return qs.filter(see_all | Q(team_id__in=my_teams) | Q(team__isnull=True) | Q(assignee=user))
    if user.is_customer:
        customer = getattr(user, "customer", None)
        if customer is None:
            return qs.none()
        if customer.organisation_id and customer.organisation.share_tickets:
            return qs.filter(customer__organisation_id=customer.organisation_id)
        return qs.filter(customer=customer)
    if user.is_department_member:
        return qs.filter(shares__department_id=user.department_id)
    return qs.none()


def access_ticket(user: Any, ticket_id: int | str) -> Ticket:
    # int() of a string would also read "٣" or "1_0"; a typed number goes through parse_number.
    pk = ticket_id if isinstance(ticket_id, int) else parse_number(str(ticket_id))
    if not pk:
        raise TicketNotFound()
    ticket = (
        visible_tickets(user)
        .select_related(
            "customer", "customer__organisation", "assignee", "team", "category", "first_contact_owner"
        )
        .filter(pk=pk)
        .first()
    )
    if ticket is None:
        raise TicketNotFound()
    return ticket


def access_attachment(user: Any, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise TicketNotFound()
    access_ticket(user, attachment.ticket_id)
    if attachment.message.kind != MessageKind.PUBLIC and not can_see_internal(user):
        raise TicketNotFound()
    return attachment


def can_see_internal(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_agent or user.is_department_member))


def can_edit(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_agent)


# --------------------------------------------------------------------------- views and lists

VIEWS = ("mine", "unassigned", "my_teams", "all", "recent", "open", "pending", "on_hold", "solved", "closed")
SORTS = {
    "updated": ("updated_at", True),
    "-updated": ("updated_at", False),
    "created": ("created_at", True),
    "-created": ("created_at", False),
}
FILTER_FIELDS = (
    "status",
    "priority",
    "channel",
    "type",
    "tier",
    "team",
    "assignee",
    "category",
    "customer",
    "tag",
)


@dataclass(frozen=True)
class TicketFilters:
    view: str = "all"
    status: str = ""
    priority: str = ""
    channel: str = ""
    type: str = ""
    tier: str = ""
    team: int | None = None
    assignee: int | None = None
    category: int | None = None
    customer: int | None = None
    tag: str = ""
    sort: str = "updated"

    @classmethod
    def from_params(cls, params: Any) -> TicketFilters:
        from kefu.customers.models import Tier

        from .models import Channel, Priority, TicketType
        from .states import Status

        def choice(name: str, allowed: list[str]) -> str:
            value = (params.get(name) or "").strip()
            if value and value not in allowed:
                raise ValidationFailed(
                    _("Unknown value for %(field)s: %(value)s.") % {"field": name, "value": value[:50]},
                    field=name,
                )
            return value

        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            parsed = ascii_digits(value, max_length=18)
            if parsed is None:
                raise ValidationFailed(_("%(field)s must be a number.") % {"field": name}, field=name)
            return parsed

        view = (params.get("view") or "all").strip()
        if view not in VIEWS:
            raise ValidationFailed(
                _("Unknown value for %(field)s: %(value)s.") % {"field": "view", "value": view[:50]},
                field="view",
            )
        sort = (params.get("sort") or "updated").strip()
        if sort not in SORTS:
            raise ValidationFailed(
                _("Unknown value for %(field)s: %(value)s.") % {"field": "sort", "value": sort[:50]},
                field="sort",
            )
        return cls(
            view=view,
            status=choice("status", Status.values),
            priority=choice("priority", Priority.values),
            channel=choice("channel", Channel.values),
            type=choice("type", TicketType.values),
            tier=choice("tier", Tier.values),
            team=number("team"),
            assignee=number("assignee"),
            category=number("category"),
            customer=number("customer"),
            tag=(params.get("tag") or "").strip()[:50],
            sort=sort,
        )


def filter_tickets(
    user: User, filters: TicketFilters, *, within: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """`within`: only these tickets (the tickets behind a dashboard's chart point), still only
    those the user may see."""
    qs = visible_tickets(user)
    if within is not None:
        qs = qs.filter(pk__in=within.values("pk"))
    view = filters.view
    if view == "mine":
        qs = qs.filter(assignee=user, status__in=OPEN_STATUSES)
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif view == "my_teams":
        qs = qs.filter(team_id__in=Team.objects.filter(members=user).values("pk"), status__in=OPEN_STATUSES)
    elif view == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif view in ("pending", "on_hold", "solved", "closed"):
        qs = qs.filter(status=view)
    for name in ("status", "priority", "channel", "type"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.tier:
        qs = qs.filter(customer__tier=filters.tier)
    for name in ("team", "assignee", "category", "customer"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    return qs


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None
    prev_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _encode_cursor(value: datetime, pk: int) -> str:
    raw = json.dumps([value.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, pk = json.loads(raw)
        value = parse_datetime(when)
        if value is None or not isinstance(pk, int):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ValidationFailed(_("Invalid cursor."), field="cursor")


def list_tickets(
    user: User,
    filters: TicketFilters,
    *,
    cursor: str = "",
    limit: int = 50,
    within: QuerySet[Ticket] | None = None,
) -> Page:
    """One page of tickets, keyset-paginated on (sort field, id) so deep pages cost what the first does."""
    limit = max(1, min(int(limit), 100))
    column, descending = SORTS[filters.sort]
    qs = filter_tickets(user, filters, within=within)
    if cursor:
        value, pk = _decode_cursor(cursor)
        if descending:
            # The redundant <= lets SQLite seek the index with joins present (deep page 4 s → 6 ms at 1M).
            qs = qs.filter(
                Q(**{f"{column}__lte": value}),
                Q(**{f"{column}__lt": value}) | Q(**{column: value, "pk__lt": pk}),
            )
        else:
            qs = qs.filter(
                Q(**{f"{column}__gte": value}),
                Q(**{f"{column}__gt": value}) | Q(**{column: value, "pk__gt": pk}),
            )
    order = [f"-{column}", "-pk"] if descending else [column, "pk"]
    # category__parent: str(category) shows "parent / child" (was one query per row in the API list).
    rows = list(
        qs.select_related("customer", "assignee", "team", "category__parent").order_by(*order)[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, column), last.pk)
    return Page(items=rows, next_cursor=next_cursor)


COUNT_CAP = 1000


def count_tickets(
    user: User, filters: TicketFilters, *, cap: int = COUNT_CAP, within: QuerySet[Ticket] | None = None
) -> int:
    """How many tickets match, counted up to `cap` (shown as "1000+"): constant cost at 1M tickets."""
    qs = filter_tickets(user, filters, within=within).order_by()
    return qs[:cap].count()


def count_views(
    user: User, views: tuple[str, ...] = ("mine", "unassigned", "my_teams", "open", "pending")
) -> dict[str, int]:
    return {v: count_tickets(user, TicketFilters(view=v)) for v in views}


# --------------------------------------------------------------------------- one ticket


def list_messages(user: User, ticket: Ticket) -> QuerySet[Message]:
    qs = ticket.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )
    if not can_see_internal(user):
        qs = qs.filter(kind=MessageKind.PUBLIC)
    return qs.order_by("created_at", "pk")


def list_events(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    if not can_see_internal(user):
        return TicketEvent.objects.none()
    return ticket.events.select_related("actor").order_by("created_at", "pk")


def last_change(ticket: Ticket) -> TicketEvent | None:
    return (
        ticket.events.select_related("actor")
        .exclude(kind__in=["replied", "noted", "customer_replied", "auto_received"])
        .order_by("-created_at", "-pk")
        .first()
    )


def list_linked_tickets(user: User, ticket: Ticket) -> list[Ticket]:
    """The tickets linked with `ticket`, either way round, that the user may see, newest first.

    The link ids come from two index lookups on the link table (by source, by target) joined by a
    UNION, so the tickets are read by primary key. Joining the link table twice with an OR made
    PostgreSQL read every ticket (90 ms at 100k tickets, growing with the table).
    """
    linked_ids = (
        TicketLink.objects.filter(source_id=ticket.pk)
        .values("target_id")
        .union(TicketLink.objects.filter(target_id=ticket.pk).values("source_id"))
    )
    return list(visible_tickets(user).filter(pk__in=linked_ids).exclude(pk=ticket.pk).order_by("-pk"))


def scope_customers(user: Any, customers: QuerySet) -> QuerySet:
    """The customers of `customers` this staff member may read: supervisors, QA and administrators
    all of them; an agent those with at least one ticket the agent can see (their teams', the
    unassigned-team ones, their own). Customers and others are left to the customers app's rule.
    Registered with core.extensions so the customers API applies it too."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return customers.none()
    if user.sees_all_tickets:
        return customers
    if user.is_agent:
        return customers.filter(Exists(visible_tickets(user).filter(customer_id=OuterRef("pk"))))
    return customers


def visible_customers(user: Any) -> QuerySet:
    """Customer 360's list: the customers app's rule narrowed by `scope_customers`."""
    from kefu.customers.selectors import visible_customers as base

    return scope_customers(user, base(user))


def list_customer_tickets(user: User, customer_id: int, *, limit: int = 10) -> list[Ticket]:
    return list(visible_tickets(user).filter(customer_id=customer_id).order_by("-updated_at")[:limit])


# --------------------------------------------------------------------------- search


@dataclass
class SearchHit:
    ticket: Ticket
    rank: float
    subject_html: SafeString
    snippet_html: SafeString


def _terms_pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def _highlight(text: str, pattern: re.Pattern | None, *, width: int = 160) -> SafeString:
    """`text` escaped, `pattern`'s matches marked, cut to `width` characters around the first one."""
    if not text:
        return mark_safe("")
    start = 0
    if pattern and width:
        m = pattern.search(text)
        if m and m.start() > width // 3:
            start = m.start() - width // 3
    piece = text[start : start + width] if width else text
    prefix = "…" if start else ""
    suffix = "…" if width and len(text) > start + width else ""
    if not pattern:
        return mark_safe(escape(prefix + piece + suffix))
    out, pos = [], 0
    for m in pattern.finditer(piece):
        out.append(escape(piece[pos : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(escape(piece[pos:]))
    return mark_safe(escape(prefix) + "".join(out) + escape(suffix))


# Search work is bounded (docs/adr/0002): users who see at most SMALL_SET tickets get every match
# ranked; others get the CANDIDATES newest matches they can see, ranked. The walk down the matches
# grows its batches up to MAX_BATCH while few of them are visible to the user.
SMALL_SET = 500
CANDIDATES = 500
PARTIAL = 200  # candidates of each level of partial matches (fewer groups than the query's)
WALK = 8000
MAX_BATCH = 16000


def _index_keys(user: User) -> tuple[bool, list[int] | None]:
    """`visible_tickets(user)` as search-row keys (PostgreSQL, docs/adr/0002): (True, None) for a user
    who sees every ticket, (True, keys) for an agent (their teams, no team, assigned to them), and
    (False, None) where visibility is not in the index (customers, department members)."""
    if getattr(user, "sees_all_tickets", False):
        return True, None
    if not getattr(user, "is_agent", False):
        return False, None
    if AccessSettings.objects.filter(agents_see_all=True).exists():
        return True, None
    teams = Team.objects.filter(members=user).values_list("pk", flat=True)
    return True, [search.team_key(None), *(search.team_key(t) for t in teams), search.assignee_key(user.pk)]


def _visible_sql(user: User) -> tuple[str, list]:
    """`visible_tickets(user)` as the SQL and params of a query of ticket ids."""
    sql, params = visible_tickets(user).values("pk").query.sql_with_params()
    return sql, list(params)


def _only_visible(user: User, ids: list[int]) -> list[int]:
    """`ids` without those the user may not see, in their order: one query through visible_tickets."""
    if not ids:
        return []
    # Raw SQL around the visible_tickets query: the ORM spends more building a long IN list than the
    # database spends answering it.
    visible_sql, visible_params = _visible_sql(user)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT v.pk FROM ({visible_sql}) v WHERE v.pk IN ({', '.join(['%s'] * len(ids))})",
            [*visible_params, *ids],
        )
        visible = {row[0] for row in cur.fetchall()}
    return [i for i in ids if i in visible]


def _recent_visible_matches(
    user: User, q: search.Query, page: int, expr: str | None = None, want: int | None = None
) -> list[int]:
    """The newest CANDIDATES tickets matching `expr` (default: all of `q`) the user may see, newest
    first, where visibility is not in the index (SQLite; customers and department members on
    PostgreSQL).

    Visibility is checked in SQL, one batch of matches at a time. Past WALK matches the walk stops
    as soon as it holds a page; until then it goes on down to the oldest match, so a user who sees a
    thin slice of the tickets still finds their old ones.
    """
    want = want or CANDIDATES
    found: list[int] = []
    before, batch, walked = None, want, 0
    while len(found) < want and (walked < WALK or len(found) < page):
        ids = search.recent_matches(q, before=before, limit=batch, expr=expr)
        found.extend(_only_visible(user, ids))
        if len(ids) < batch:
            break
        walked += len(ids)
        before, batch = ids[-1], min(batch * 2, MAX_BATCH)
    return found[:want]


def _candidates(q: search.Query, walk, page: int) -> dict[int, int | None]:
    """Candidate ids and the groups each covers, from the walks of `q.levels()` (docs/adr/0002):
    the newest CANDIDATES matches of every group first; only while those are fewer than a page, the
    newest PARTIAL matches of fewer groups (down to half of them). A long query whose lower levels have
    too many combinations to ask for walks the matches of any group instead (coverage unknown,
    computed while ranking)."""
    covered: dict[int, int | None] = {}
    levels = q.levels()
    for k, expr in levels:
        for tid in walk(expr, CANDIDATES if k == len(q.groups) else PARTIAL):
            covered.setdefault(tid, k)
        if len(covered) >= page:
            return covered
    if levels[-1][0] > q.min_cover:
        for tid in walk(q.expr(1), PARTIAL):
            covered.setdefault(tid, None)
    return covered


def _ranked(
    user: User, q: search.Query, limit: int, keyed: bool, keys: list[int] | None
) -> list[tuple[int, float]]:
    """The best `limit` (ticket id, rank) of `q` among the tickets the user may see (docs/adr/0002)."""
    if keyed:
        # PostgreSQL, visibility in the index: the newest CANDIDATES visible matches in one walk
        # per level, which goes on to the oldest match, so a user who sees few tickets has every
        # match ranked. The ids still pass through visible_tickets, in the ranking statement: a key
        # that lagged could only hide a ticket.
        found = _candidates(
            q, lambda expr, want: search.newest_matches(q, keys=keys, limit=want, expr=expr), limit
        )
        return search.rank(q, list(found), limit, covered=found, visible=_visible_sql(user))
    small = None
    if not getattr(user, "sees_all_tickets", False):
        small = list(visible_tickets(user).values_list("pk", flat=True)[: SMALL_SET + 1])
    if small is not None and len(small) <= SMALL_SET:
        return search.rank(q, small, limit)
    found = _candidates(q, lambda expr, want: _recent_visible_matches(user, q, limit, expr, want), limit)
    return search.rank(q, list(found), limit, covered=found)


def search_tickets(user: User, query: str, *, limit: int = 50) -> list[SearchHit]:
    """Ranked full-text search among the tickets this user may see, with highlighted snippets."""
    query = (query or "").strip()[:200]
    limit = max(1, min(limit, 100))
    number = parse_number(query)
    if number:
        exact = (
            visible_tickets(user)
            .select_related("customer", "assignee", "team", "category__parent")
            .filter(pk=number)
            .first()
        )
        if exact:
            return [SearchHit(exact, 0.0, _highlight(exact.subject, None, width=0), mark_safe(""))]
    q = search.parse(query, include_internal=can_see_internal(user))
    if q is None:
        return []
    keyed, keys = _index_keys(user) if search.keys_in_index() else (False, None)
    ranked = _ranked(user, q, limit, keyed, keys)
    loose = q.loosened() if not ranked else None
    if loose is not None:
        ranked = _ranked(user, loose, limit, keyed, keys)
    if not ranked:
        return []
    # team and category__parent: what a hit's row shows (str(category) is "parent / child"), in this
    # one query rather than one more per relation in the API and the page.
    by_id = {
        t.pk: t
        for t in Ticket.objects.select_related("customer", "assignee", "team", "category__parent").filter(
            pk__in=[r[0] for r in ranked]
        )
    }
    terms = highlight_terms(query)
    kinds = [MessageKind.PUBLIC] if not can_see_internal(user) else [MessageKind.PUBLIC, MessageKind.INTERNAL]
    snippets: dict[int, str] = {}
    if terms:
        cond = Q()
        for term in terms:
            cond |= Q(body_text__icontains=term)
        for tid, body in (
            Message.objects.filter(ticket_id__in=list(by_id), kind__in=kinds)
            .filter(cond)
            .order_by("ticket_id", "created_at")
            .values_list("ticket_id", "body_text")
        ):
            snippets.setdefault(tid, body)
    hits = []
    pattern = _terms_pattern(terms)  # once for the page's hundred highlights
    for tid, rank in ranked:
        ticket = by_id.get(tid)
        if ticket is None:
            continue
        hits.append(
            SearchHit(
                ticket=ticket,
                rank=float(rank),
                subject_html=_highlight(ticket.subject, pattern, width=0),
                snippet_html=_highlight(snippets.get(tid, ""), pattern),
            )
        )
    return hits
