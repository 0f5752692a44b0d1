"""When each organization first published: the public index lists organizations by it
instead of probing every organization's publications (bench/national.py)."""

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def first_publications_copied(apps, schema_editor):
    Organization = apps.get_model("workflow", "Organization")
    Publication = apps.get_model("workflow", "Publication")
    first = (
        Publication.objects.filter(organization=OuterRef("pk"))
        .values("organization")
        .annotate(first=Min("published_at"))
        .values("first")
    )
    Organization.objects.update(first_published_at=Subquery(first))


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0011_organization_search'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='first_published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(first_publications_copied, migrations.RunPython.noop),
    ]
