"""Tickets keep their first response in business seconds (tickets.metrics.business), and the
tickets answered before this release get theirs: computed on the business calendar of their team
(else the default calendar, else office hours), the same rule as `sla.services.team_calendars`,
read from the calendar rows as they are at this migration."""

from datetime import date

from django.db import migrations, models

from kefu.core import businesstime as bt


def _calendar(row):
    if row is None:
        return bt.OFFICE
    try:
        return bt.Calendar(
            weekly=tuple(tuple((bt.hm(a), bt.hm(b)) for a, b in day) for day in (row.weekly or [[]] * 7)),
            tz=row.tz,
            statutory=row.statutory,
            holidays=frozenset(date.fromisoformat(str(d)) for d in row.holidays or ()),
            workdays=frozenset(date.fromisoformat(str(d)) for d in row.workdays or ()),
            name=row.name,
        )
    except Exception:  # noqa: BLE001 - a row that is not a valid calendar: office hours, as routing does
        return bt.OFFICE


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    todo = Ticket.objects.filter(
        first_response_at__isnull=False, first_response_business_seconds__isnull=True
    )
    if not todo.exists():
        return
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    rows = list(BusinessCalendar.objects.order_by("-is_default", "name")[:200])
    by_team = {}
    for row in rows:
        if row.team_id and row.team_id not in by_team:
            by_team[row.team_id] = _calendar(row)
    default = _calendar(next((row for row in rows if row.is_default), None))
    found = todo.order_by("pk").values_list("pk", "team_id", "created_at", "first_response_at")
    for pk, team_id, created_at, first_response_at in found.iterator(chunk_size=2000):
        calendar = by_team.get(team_id, default)
        seconds = int(bt.business_time_between(calendar, created_at, first_response_at).total_seconds())
        Ticket.objects.filter(pk=pk).update(first_response_business_seconds=seconds)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_verbose_names"),
        ("sla", "0004_timer_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="first_response_business_seconds",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
