"""The ITA schemes of 2564–2568 (workflow.assessment_data); the operator edits them after."""

from django.db import migrations


def load(apps, schema_editor):
    from workflow.assessment_data import schemes_load

    schemes_load(apps)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0005_i15_ita_cycle")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
