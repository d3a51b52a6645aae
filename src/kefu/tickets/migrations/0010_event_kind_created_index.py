"""The metrics read one kind of ticket event over a period (solves, replies, assignments): an index on (kind, created_at)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0009_search_everyday_chinese'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(fields=['kind', 'created_at'], name='event_kind_created'),
        ),
    ]
