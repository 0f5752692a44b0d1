"""Trigram indexes over the organizations' search keys: the public index's search reads
every organization without them (bench/national.py).

PostgreSQL only, and only where pg_trgm exists (migration 0005 creates it when it may).
"""

from django.db import migrations

COLUMNS = ("name", "short_name")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "workflow_organization_{column}_search"'
            f' ON "workflow_organization" USING gin (itaflow_search_key("{column}") gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "workflow_organization_{column}_search"')


class Migration(migrations.Migration):
    dependencies = [("workflow", "0008_i12_i15_analysis_reviewed_by")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
