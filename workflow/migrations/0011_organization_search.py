"""The organizations' names' search key, stored and trigram-indexed: the public index's
search computed the key of every name at each request (bench/national.py: 38 ms, and
77 ms when the planner walked the names in order, against 8.5 ms for one agency).

The trigram index is PostgreSQL's, and only where pg_trgm exists (migration 0005).
"""

from django.db import migrations, models

INDEX = "workflow_organization_name_search_key"


def keys_filled(apps, schema_editor):
    from workflow.thai import search_key

    Organization = apps.get_model("workflow", "Organization")
    for organization in Organization.objects.only("name", "short_name").iterator():
        key = f"{search_key(organization.name)} {search_key(organization.short_name)}"
        Organization.objects.filter(pk=organization.pk).update(name_search_key=key)


def trigram_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "workflow_organization"'
        ' USING gin ("name_search_key" gin_trgm_ops)'
    )


def trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0010_publication_verification'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='name_search_key',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.AddIndex(
            model_name='organization',
            index=models.Index(fields=['province', 'name'], name='organization_province'),
        ),
        migrations.RunPython(keys_filled, migrations.RunPython.noop),
        migrations.RunPython(trigram_index_create, trigram_index_drop),
    ]
