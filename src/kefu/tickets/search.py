"""Full-text search over tickets that works for Chinese and English (docs/adr/0002-ticket-search.md).

Text is turned into tokens by `core.text` (folded to Simplified; Chinese → overlapping bigrams and
content characters, English → stemmed words; a query → its content words, ADR round "everyday
Chinese") and stored in one row per ticket: an FTS5 table on SQLite, a weighted tsvector with a GIN index on
PostgreSQL. Internal notes sit in their own column (weight C on PostgreSQL) that only staff queries
reach, so a customer's search can never reveal words of a note.

On PostgreSQL each row also holds `keys` (migration 0004): the ticket's team and assignee, who may
see it, and the blocks of ticket ids it falls in, how old it is. The GIN index holds them next to the
words, so "the newest matches this agent may see" is answered inside the index, a block at a time.

This module holds the database side: finding matches newest first and ranking a bounded set of
candidates (BM25 without IDF on SQLite, ts_rank on PostgreSQL; subject weighs most). Which
candidates a user gets, and access, are decided in `tickets.selectors.search_tickets`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from kefu.core.text import FUNCTION_CHARS, at_least, index_text, query_terms

CONTENT_LIMIT = 20000
# bm25() column weights: subject, customer, public messages, internal notes.
WEIGHTS = (10.0, 4.0, 1.0, 0.5)
K1, B = 1.2, 0.75


# PostgreSQL row keys, value * 16 + kind: the encoding of the function tickets_search_keys of
# migration 0004, which the database uses to write them (the search tests find tickets through both).
KEY_TEAM, KEY_ASSIGNEE, KEY_BLOCK = 1, 2, 3
# Block sizes (bits of the ticket id): 1k, 4k … 1M ids; level i has kind KEY_BLOCK + i.
LEVELS = (10, 12, 14, 16, 18, 20)


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def keys_in_index() -> bool:
    """Whether rows carry visibility keys (PostgreSQL); SQLite filters visibility after the walk."""
    return not _sqlite()


def team_key(team_id: int | None) -> int:
    """The key of tickets in this team (None: tickets in no team)."""
    return (team_id or 0) * 16 + KEY_TEAM


def assignee_key(user_id: int) -> int:
    return user_id * 16 + KEY_ASSIGNEE


def block_key(ticket_id: int, level: int) -> int:
    return (ticket_id >> LEVELS[level]) * 16 + KEY_BLOCK + level


def create_schema(schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_search USING "
            "fts5(subject, customer, content, internal, tokenize='unicode61 remove_diacritics 0')"
        )
    else:
        schema_editor.execute(
            "CREATE TABLE IF NOT EXISTS tickets_search (ticket_id bigint PRIMARY KEY, doc tsvector NOT NULL)"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS tickets_search_doc ON tickets_search USING gin (doc)"
        )


def drop_schema(schema_editor) -> None:
    schema_editor.execute("DROP TABLE IF EXISTS tickets_search")


def document(
    subject: str, customer: str, messages: Iterable[str], notes: Iterable[str] = ()
) -> tuple[str, str, str, str]:
    return (
        index_text(subject),
        index_text(customer),
        index_text(*messages, limit=CONTENT_LIMIT),
        index_text(*notes, limit=CONTENT_LIMIT),
    )


def upsert_rows(rows: Iterable[tuple[int, str, str, str, str]], *, fresh: bool = False) -> None:
    """Write (ticket_id, subject, customer, content, internal) token rows, replacing old ones
    (`fresh`: the rows are known to be absent, as in a rebuild of an emptied table)."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cur:
        if _sqlite():
            if not fresh:
                cur.executemany("DELETE FROM tickets_search WHERE rowid = %s", [(r[0],) for r in rows])
            cur.executemany(
                "INSERT INTO tickets_search(rowid, subject, customer, content, internal) VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
        else:
            cur.executemany(
                "INSERT INTO tickets_search (ticket_id, doc) VALUES (%s, "
                "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') "
                "|| setweight(to_tsvector('simple', %s), 'D') || setweight(to_tsvector('simple', %s), 'C')) "
                "ON CONFLICT (ticket_id) DO UPDATE SET doc = EXCLUDED.doc",
                rows,
            )


def delete_rows(ticket_ids: Iterable[int]) -> None:
    ids = [(i,) for i in ticket_ids]
    if not ids:
        return
    with connection.cursor() as cur:
        if _sqlite():
            cur.executemany("DELETE FROM tickets_search WHERE rowid = %s", ids)
        else:
            cur.executemany("DELETE FROM tickets_search WHERE ticket_id = %s", ids)


@dataclass(frozen=True)
class Query:
    """A parsed search (`core.text.query_terms`): its content groups, optional rank tokens, and
    whether internal notes count.

    A ticket covers a group when it holds every token of one of the group's alternatives. Tickets
    covering all groups come first; where fewer than a page do, tickets covering at least
    `min_cover` (half of them, at least one) follow (`levels`), ranked below.
    """

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    optional: tuple[str, ...]
    include_internal: bool
    loose: tuple[tuple[tuple[str, ...], ...], ...] = ()

    def loosened(self) -> Query | None:
        """The second try of a query whose words found nothing (`core.text.QueryTerms.loose`): its
        single content characters count too (衣服小了能换吗: 衣服, 小, 换; two of the three will
        do). None: no second try."""
        if not self.loose or self.loose == self.groups:
            return None
        return Query(self.loose, self.optional, self.include_internal)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every token of the groups, once."""
        return tuple(dict.fromkeys(t for group in self.groups for alt in group for t in alt))

    @property
    def min_cover(self) -> int:
        return max(1, (len(self.groups) + 1) // 2)

    def _token(self, token: str) -> str:
        if _sqlite():
            return '"' + token.replace('"', '""') + '"'
        return (
            "'" + token.replace("'", "''").replace("\\", "") + "'" + ("" if self.include_internal else ":ABD")
        )

    def group_expr(self, group: tuple[tuple[str, ...], ...]) -> str:
        and_, or_ = (" AND ", " OR ") if _sqlite() else (" & ", " | ")
        alts = [and_.join(self._token(t) for t in alt) for alt in group]
        return alts[0] if len(alts) == 1 else "(" + or_.join(f"({a})" for a in alts) + ")"

    def _wrap(self, expr: str) -> str:
        # Customers' queries never look at the notes column, so a note cannot make a ticket match.
        if _sqlite() and not self.include_internal:
            return "{subject customer content} : (" + expr + ")"
        return expr

    def expr(self, k: int | None = None) -> str:
        """The match expression of tickets covering at least `k` groups (default: all)."""
        n = len(self.groups)
        k = n if k is None else k
        and_, or_ = (" AND ", " OR ") if _sqlite() else (" & ", " | ")
        combos = at_least(n, k, max_clauses=10**6) or []
        clauses = [and_.join(self.group_expr(self.groups[i]) for i in combo) for combo in combos]
        if len(clauses) == 1:
            return self._wrap(clauses[0])
        return self._wrap(or_.join(f"({c})" for c in clauses))

    def levels(self) -> list[tuple[int, str]]:
        """(k, expression) from all groups down to `min_cover`, leaving out a level whose expression
        would need more than MAX_CLAUSES combinations (long queries)."""
        n = len(self.groups)
        out = []
        for k in range(n, self.min_cover - 1, -1):
            if k == 1 or at_least(n, k, max_clauses=MAX_CLAUSES) is not None:
                out.append((k, self.expr(k)))
        return out

    def rank_expr(self) -> str:
        """PostgreSQL: every token, groups' and optional, OR-ed: what ts_rank counts."""
        return " | ".join(self._token(t) for t in dict.fromkeys([*self.terms, *self.optional]))


MAX_CLAUSES = 16


def parse(query: str, *, include_internal: bool) -> Query | None:
    terms = query_terms(query)
    return Query(terms.groups, terms.optional, include_internal, terms.loose) if terms else None


def _in(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def recent_matches(q: Query, *, before: int | None, limit: int, expr: str | None = None) -> list[int]:
    """Ids of tickets matching `expr` (default: every group of `q`), newest (highest id) first,
    below `before`.

    Cheap however common the terms: FTS5 walks a term's doclist in rowid order and PostgreSQL
    can walk the primary key backwards; neither scores anything here.
    """
    below = before if before is not None else 2**62
    with connection.cursor() as cur:
        if _sqlite():
            cur.execute(
                "SELECT rowid FROM tickets_search WHERE tickets_search MATCH %s AND rowid < %s "
                "ORDER BY rowid DESC LIMIT %s",
                [expr or q.expr(), below, limit],
            )
        else:
            cur.execute(
                "SELECT ticket_id FROM tickets_search WHERE doc @@ to_tsquery('simple', %s) "
                "AND ticket_id < %s ORDER BY ticket_id DESC LIMIT %s",
                [expr or q.expr(), below, limit],
            )
        return [row[0] for row in cur.fetchall()]


def newest_matches(q: Query, *, keys: list[int] | None, limit: int, expr: str | None = None) -> list[int]:
    """PostgreSQL: ids of the newest `limit` tickets matching `expr` (default: every group of `q`)
    whose row holds one of `keys` (None: every ticket), newest first.

    Walks back from the newest ticket in steps of whole id blocks (LEVELS), each step one GIN lookup
    of words, keys and block together, so it reads only rows that match and are visible. A step is
    the largest block that ends where the last one began and holds about what is still missing at
    the density found so far (16 times the ids covered while nothing was found), and the walk stops
    at the first step that completes `limit`: a few times `limit` rows read at most, however common
    the words and however few of them the user may see; a word the user sees nowhere costs about
    five lookups that read no row.
    """
    match = "doc @@ to_tsquery('simple', %s)"
    visible = "" if keys is None else " AND keys && %s::bigint[]"
    found: list[int] = []
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(ticket_id) FROM tickets_search")
        top = cur.fetchone()[0]
        below = top + 1 if top is not None else 0
        while below > 0 and len(found) < limit:
            covered = top + 1 - below
            wanted = (limit - len(found)) * covered * 3 // (2 * len(found)) if found else 15 * covered
            level = max(
                i
                for i, bits in enumerate(LEVELS)
                if below - ((below - 1) >> bits << bits) <= max(1 << LEVELS[0], wanted)
            )
            start = (below - 1) >> LEVELS[level] << LEVELS[level]
            # A block reaching back to the first ticket adds nothing to `ticket_id < below`.
            block = " AND keys && %s::bigint[]" if start else ""
            cur.execute(
                f"SELECT ticket_id FROM tickets_search WHERE {match}{visible}{block} AND ticket_id < %s",
                [
                    expr or q.expr(),
                    *([keys] if keys is not None else []),
                    *([[block_key(below - 1, level)]] if start else []),
                    below,
                ],
            )
            found.extend(sorted((row[0] for row in cur.fetchall()), reverse=True))
            below = start
    return found[:limit]


def rank(
    q: Query,
    ids: list[int],
    limit: int,
    *,
    matched: bool = False,
    covered: dict[int, int | None] | None = None,
    visible: tuple[str, list] | None = None,
) -> list[tuple[int, float]]:
    """The best `limit` of the tickets `ids` as (ticket_id, rank), lower rank first.

    A ticket's rank is first how many of the query's groups it covers (at least `q.min_cover`, or it
    is left out), then its relevance (BM25 without IDF on SQLite, ts_rank on PostgreSQL; subject
    weighs most; on SQLite an optional single character or function-word bigram counts a third); ties go to the newer ticket.

    `covered`: what the walk found, the groups each id is known to cover (None: unknown);
    `matched`: every id is known to cover all groups. Otherwise coverage is computed here, and only
    ids matching at least one group are ranked. `visible` (PostgreSQL): SQL and params of a query of
    the ids the user may see; only those are ranked, in the same statement. Both databases score only
    these rows, never every match.
    """
    if not ids:
        return []
    n = len(q.groups)
    known: dict[int, int | None] = covered if covered is not None else {}
    if matched:
        known = dict.fromkeys(ids, n)
    unknown = any(known.get(i) is None for i in ids)
    if not _sqlite():
        scored = _rank_postgres(q, ids, unknown=unknown, visible=visible)
    else:
        scored = _rank_sqlite(q, ids, unknown=unknown)
    out = []
    for tid, cover, score in scored:
        level = known.get(tid)
        cover = level if level is not None else cover
        if cover >= q.min_cover:
            out.append((tid, -(cover * 1000.0 + score)))
    out.sort(key=lambda r: (r[1], -r[0]))
    return out[:limit]


def _rank_postgres(
    q: Query, ids: list[int], *, unknown: bool, visible: tuple[str, list] | None
) -> list[tuple[int, int, float]]:
    # ts_rank has no corpus statistics, so ranking only the candidates orders them exactly as a
    # query over every match would; `ANY` keeps the plan to primary-key lookups. Known matches are
    # not matched again: that would read every candidate's document twice.
    cover, cover_params = "0", []
    match, match_params = "", []
    if unknown:
        cover = " + ".join(["(doc @@ to_tsquery('simple', %s))::int"] * len(q.groups))
        cover_params = [q.group_expr(g) for g in q.groups]
        match, match_params = " AND doc @@ to_tsquery('simple', %s)", [q.expr(1)]
    only, params = "", []
    if visible:
        # The id list again inside: the planner does not carry it across the IN, and would
        # otherwise scan every visible ticket.
        only = f" AND ticket_id IN (SELECT v.pk FROM ({visible[0]}) v WHERE v.pk = ANY(%s))"
        params = [*visible[1], list(ids)]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT ticket_id, {cover}, ts_rank(doc, q, 1) FROM tickets_search, "
            f"to_tsquery('simple', %s) q WHERE ticket_id = ANY(%s){match}{only}",
            [*cover_params, q.rank_expr(), list(ids), *match_params, *params],
        )
        return [(tid, int(c), float(r)) for tid, c, r in cur.fetchall()]


def _rank_sqlite(q: Query, ids: list[int], *, unknown: bool) -> list[tuple[int, int, float]]:
    columns = "subject, customer, content, " + ("internal" if q.include_internal else "''")
    # An IN list on rowid makes FTS5 look each row up (with MATCH: run the match per row, which
    # is cheap without bm25(); bm25() would walk every term's whole doclist once per row).
    match, params = ("tickets_search MATCH %s AND ", [q.expr(1)]) if unknown else ("", [])
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT rowid, {columns} FROM tickets_search WHERE {match}rowid IN ({_in(ids)})",
            [*params, *ids],
        )
        rows = cur.fetchall()
    if not rows:
        return []
    docs = [(row[0], [f" {col} " if col else " " for col in row[1:]]) for row in rows]
    sizes = [sum(col.count(" ") - 1 for col in cols) for _, cols in docs]
    avg = sum(sizes) / len(sizes) or 1.0
    terms = [*q.terms, *(t for t in q.optional if t not in q.terms)]
    needles = [(t, f" {t} ") for t in terms]
    # the groups' tokens and the query's own bigrams of content characters (a ticket saying it as
    # typed) count fully; an optional single character, or a bigram with a function character, a third
    weights = [
        1.0 if i < len(q.terms) or (len(t) > 1 and not FUNCTION_CHARS.intersection(t)) else 1 / 3
        for i, t in enumerate(terms)
    ]
    out = []
    for (tid, cols), size in zip(docs, sizes, strict=True):
        # weighted frequency of each token (every weight is positive: present = frequency > 0)
        freq = {t: sum(w * col.count(n) for w, col in zip(WEIGHTS, cols, strict=True)) for t, n in needles}
        norm = K1 * (1 - B + B * size / avg)
        score = sum(
            f * (K1 + 1) / (f + norm) * weight for f, weight in zip(freq.values(), weights, strict=True)
        )
        cover = len(q.groups)
        if unknown:
            cover = sum(any(all(freq[t] for t in alt) for alt in group) for group in q.groups)
        out.append((tid, cover, score))
    return out


def bm25(terms: Iterable[str], columns: list[str], relative_length: float) -> float:
    """FTS5's bm25() formula (k1 1.2, b 0.75, column weights WEIGHTS) with every IDF taken as 1.

    `columns` are space-padded token strings; `relative_length` is the row's token count over the
    average. Without IDF, a one-term query orders rows exactly as bm25() does.
    """
    norm = K1 * (1 - B + B * relative_length)
    score = 0.0
    for term in terms:
        needle = f" {term} "
        freq = sum(w * col.count(needle) for w, col in zip(WEIGHTS, columns, strict=True))
        score += freq * (K1 + 1) / (freq + norm)
    return score
