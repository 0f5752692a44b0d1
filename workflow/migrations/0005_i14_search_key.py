"""The search key in SQL (the same as workflow.thai.search_key), and trigram indexes over it.

PostgreSQL only: SQLite gets the Python function on each connection (workflow.search).
Without the pg_trgm extension (no privilege to create it) search still works, unindexed.
"""

from django.db import migrations, transaction

FUNCTION = r"""
CREATE OR REPLACE FUNCTION itaflow_search_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(translate(
    regexp_replace(
      regexp_replace(normalize(value, NFC), E'\u0e4d([\u0e48-\u0e4b]?)\u0e32', E'\\1\u0e33', 'g'),
      E'[[:space:]\u00a0\u200b]+', '', 'g'),
    '๐๑๒๓๔๕๖๗๘๙', '0123456789'))
$$;
"""

INDEXED = (
    ("workflow_measure", "title"),
    ("workflow_measuremethod", "text"),
    ("workflow_resultitem", "text"),
    ("workflow_recommendation", "text"),
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: search works without the indexes
        return
    for table, column in INDEXED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}_search" ON "{table}"'
            f' USING gin (itaflow_search_key("{column}") gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in INDEXED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_search"')
    schema_editor.execute("DROP FUNCTION IF EXISTS itaflow_search_key(text)")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_history_and_chain_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
