"""PostgreSQL: who may see a ticket, and how old it is, go into the search index (docs/adr/0002).

Each search row gets `keys`, integers the GIN index holds next to the words (value * 16 + kind):
kind 1 the ticket's team (0: none), kind 2 its assignee, kinds 3-8 the blocks of 2^10, 2^12 … 2^20
ticket ids it falls in. `kefu.tickets.search` builds the same keys for a query. The database keeps
them in step: a row's keys are computed from its ticket whenever the row is written, and a change of
a ticket's team or assignee (by any path: services, bulk updates, a deleted team) rewrites them, in
the same transaction. SQLite keeps its FTS5 table as it is.
"""

from django.db import migrations

KEYS_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_search_keys(ticket bigint, team bigint, assignee bigint)
RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[
    COALESCE(team, 0) * 16 + 1,
    (ticket >> 10) * 16 + 3, (ticket >> 12) * 16 + 4, (ticket >> 14) * 16 + 5,
    (ticket >> 16) * 16 + 6, (ticket >> 18) * 16 + 7, (ticket >> 20) * 16 + 8
  ] || CASE WHEN assignee IS NULL THEN '{}'::bigint[] ELSE ARRAY[assignee * 16 + 2] END
$$
"""

# Read the ticket afresh when its row is written (a plpgsql query takes a new snapshot under READ
# COMMITTED), so a reindex racing a team change cannot write the old team back.
ROW_TRIGGER = """
CREATE OR REPLACE FUNCTION tickets_search_set_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t_team bigint;
  t_assignee bigint;
BEGIN
  SELECT team_id, assignee_id INTO t_team, t_assignee FROM tickets_ticket WHERE id = NEW.ticket_id;
  NEW.keys := tickets_search_keys(NEW.ticket_id, t_team, t_assignee);
  RETURN NEW;
END
$$
"""
ROW_TRIGGER_ON = """
CREATE OR REPLACE TRIGGER tickets_search_set_keys BEFORE INSERT OR UPDATE ON tickets_search
  FOR EACH ROW EXECUTE FUNCTION tickets_search_set_keys();
"""

TICKET_TRIGGER = """
CREATE OR REPLACE FUNCTION tickets_search_follow_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tickets_search SET keys = NULL WHERE ticket_id = NEW.id;  -- the row trigger recomputes them
  RETURN NULL;
END
$$
"""
TICKET_TRIGGER_ON = """
CREATE OR REPLACE TRIGGER tickets_search_follow_ticket AFTER UPDATE OF team_id, assignee_id ON tickets_ticket
  FOR EACH ROW
  WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
  EXECUTE FUNCTION tickets_search_follow_ticket();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("SET LOCAL maintenance_work_mem = '256MB'")
    # The multicolumn index below serves word-only queries too; dropping the old one first also
    # spares the backfill from updating it row by row.
    run("DROP INDEX IF EXISTS tickets_search_doc")
    run("ALTER TABLE tickets_search ADD COLUMN IF NOT EXISTS keys bigint[]")
    run(KEYS_FUNCTION)
    # One statement for every row (1M tickets: one pass), before the triggers exist.
    run(
        "UPDATE tickets_search s SET keys = tickets_search_keys(s.ticket_id, t.team_id, t.assignee_id) "
        "FROM tickets_ticket t WHERE t.id = s.ticket_id"
    )
    run("UPDATE tickets_search SET keys = tickets_search_keys(ticket_id, NULL, NULL) WHERE keys IS NULL")
    run("ALTER TABLE tickets_search ALTER COLUMN keys SET NOT NULL")
    run("CREATE INDEX IF NOT EXISTS tickets_search_keys_doc ON tickets_search USING gin (keys, doc)")
    for sql in (ROW_TRIGGER, ROW_TRIGGER_ON, TICKET_TRIGGER, TICKET_TRIGGER_ON):
        run(sql)
    run("ANALYZE tickets_search")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("DROP TRIGGER IF EXISTS tickets_search_follow_ticket ON tickets_ticket")
    run("DROP TRIGGER IF EXISTS tickets_search_set_keys ON tickets_search")
    run("DROP FUNCTION IF EXISTS tickets_search_follow_ticket()")
    run("DROP FUNCTION IF EXISTS tickets_search_set_keys()")
    run("DROP INDEX IF EXISTS tickets_search_keys_doc")
    run("ALTER TABLE tickets_search DROP COLUMN IF EXISTS keys")
    run("DROP FUNCTION IF EXISTS tickets_search_keys(bigint, bigint, bigint)")
    run("CREATE INDEX IF NOT EXISTS tickets_search_doc ON tickets_search USING gin (doc)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_ticket_order_ref")]
    operations = [migrations.RunPython(forwards, backwards)]
