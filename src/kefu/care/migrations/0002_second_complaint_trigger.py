"""The automation trigger that escalates a second complaint (二次投诉) to the supervisors at once.

care tags the ticket (complaints.py); this trigger, an ordinary one an admin can edit or turn off,
reacts to the tag: priority urgent (the SLA policies for urgent tickets and their escalation take
over) and every supervisor notified."""

from django.db import migrations

NAME = "二次投诉升级 (second complaint escalation)"


def add(apps, schema_editor):
    Trigger = apps.get_model("automation", "Trigger")
    if Trigger.objects.filter(name=NAME).exists():
        return
    Trigger.objects.create(
        name=NAME,
        event="changed",
        match="all",
        conditions=[
            {"field": "event.field", "op": "eq", "value": "tags"},
            {"field": "ticket.tags", "op": "has", "value": "二次投诉"},
            {"field": "event.old_value", "op": "not_contains", "value": "二次投诉"},
        ],
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "notify", "to": "supervisors", "text": "二次投诉：{{ customer_name }}"},
        ],
        position=5,
        active=True,
    )


def remove(apps, schema_editor):
    apps.get_model("automation", "Trigger").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial"), ("automation", "0002_verbose_names")]
    operations = [migrations.RunPython(add, remove)]
