"""Full-text search over tickets that works for Chinese and English (docs/adr/0002-ticket-search.md).

Text is turned into tokens by `core.text` (Chinese → overlapping bigrams, English → words) and
stored in one row per ticket: an FTS5 table ranked by bm25() on SQLite, a weighted tsvector
with a GIN index ranked by ts_rank() on PostgreSQL. The subject weighs most, then the customer,
then the messages. Internal notes sit in their own column (weight C on PostgreSQL) that only staff
queries reach, so a customer's search can never reveal words of a note.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from kefu.core.text import index_text, query_terms

CONTENT_LIMIT = 20000


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


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


def upsert_rows(rows: Iterable[tuple[int, str, str, str, str]]) -> None:
    """Write (ticket_id, subject, customer, content, internal) token rows, replacing old ones."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cur:
        if _sqlite():
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


def match_sql(query: str, *, include_internal: bool = False) -> tuple[str, list[str]] | None:
    """SQL selecting (ticket_id, rank) for a query, best first; None when the query has no terms.

    The caller joins it to the tickets the user may see, so access is enforced in SQL.
    """
    terms = query_terms(query)
    if not terms:
        return None
    if _sqlite():
        expr = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        if not include_internal:
            expr = "{subject customer content} : (" + expr + ")"
        return (
            "SELECT rowid AS ticket_id, bm25(tickets_search, 10.0, 4.0, 1.0, 0.5) AS rank "
            "FROM tickets_search WHERE tickets_search MATCH %s",
            [expr],
        )
    weights = "" if include_internal else ":ABD"
    expr = " & ".join("'" + t.replace("'", "''").replace("\\", "") + "'" + weights for t in terms)
    return (
        "SELECT ticket_id, -ts_rank(doc, q, 1) AS rank FROM tickets_search, to_tsquery('simple', %s) q "
        "WHERE doc @@ q",
        [expr],
    )
