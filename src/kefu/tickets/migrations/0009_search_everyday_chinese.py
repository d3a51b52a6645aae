"""Rebuild every ticket's search row with the tokens of ADR 0002's round "everyday Chinese".

Documents are now folded to Simplified (退貨 is found by 退货), English words are stemmed, and each
content character is indexed on its own beside the bigrams. Rows written by the previous version
hold none of that, so an upgraded install would not find its old tickets by those queries until
they are written again: this migration writes them all, in chunks, from the tickets and messages
themselves (as `tickets.services.reindex` does), in a maintenance window: on SQLite the table is
emptied first, so search finds only the rewritten tickets until it ends (PostgreSQL rewrites rows in
place; run `VACUUM ANALYZE tickets_search` afterwards).
"""

import sys

from django.db import migrations, transaction

CHUNK = 2000


def rebuild(apps, schema_editor):
    from kefu.tickets import search

    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    loud = len(ids) > 50000
    sqlite = schema_editor.connection.vendor == "sqlite"
    if sqlite:
        # Deleting an FTS5 row one by one re-reads its tokens; emptying the table first makes the
        # rebuild plain inserts (a re-run after an interruption starts again from empty).
        with transaction.atomic(), schema_editor.connection.cursor() as cur:
            cur.execute("DELETE FROM tickets_search")
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        bodies: dict[int, list[str]] = {pk: [] for pk in chunk}
        notes: dict[int, list[str]] = {pk: [] for pk in chunk}
        for ticket_id, kind, text in (
            Message.objects.filter(ticket_id__in=chunk, kind__in=("public", "internal"))
            .order_by("created_at", "id")
            .values_list("ticket_id", "kind", "body_text")
        ):
            (bodies if kind == "public" else notes)[ticket_id].append(text)
        rows = []
        for pk, subject, name, email, phone in Ticket.objects.filter(pk__in=chunk).values_list(
            "pk", "subject", "customer__name", "customer__email", "customer__phone"
        ):
            customer = f"{name} {email} {phone}"
            rows.append((pk, *search.document(subject, customer, bodies[pk], notes[pk])))
        with transaction.atomic():
            search.upsert_rows(rows, fresh=sqlite)
        if loud and (start // CHUNK) % 25 == 0:
            sys.stdout.write(f"\n  search index: {start + len(chunk):,} of {len(ids):,} tickets rewritten")
            sys.stdout.flush()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_first_response_business_seconds")]
    # Each chunk commits on its own (a million-row rewrite should not be one transaction).
    atomic = False
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True)]
