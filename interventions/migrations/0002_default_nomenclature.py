from django.db import migrations

from interventions.nomenclature import seed_default_nomenclature


def seed(apps, schema_editor):
    seed_default_nomenclature(apps)


class Migration(migrations.Migration):
    dependencies = [("interventions", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
