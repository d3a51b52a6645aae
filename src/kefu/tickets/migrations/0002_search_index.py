from django.db import migrations


def forwards(apps, schema_editor):
    from kefu.tickets.search import create_schema

    create_schema(schema_editor)


def backwards(apps, schema_editor):
    from kefu.tickets.search import drop_schema

    drop_schema(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
