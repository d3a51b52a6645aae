"""Demo bits of the accounts app: the demo's past is already dealt with.

The demo loads months of tickets at once; the SLA timers it starts for them notify (green channel,
due soon…) as if all of that happened now, so the supervisor met 60 unread notifications on the
first login. `settle_notifications` marks all but the few newest of each person's read.
"""

from __future__ import annotations

from kefu.core.clock import now

from .models import Notification

KEEP_UNREAD = 3  # per person: enough to show what the bell is for


def settle_notifications(*, keep: int = KEEP_UNREAD) -> int:
    """Mark read every unread notification but each person's `keep` newest; how many were marked."""
    marked = 0
    people = Notification.objects.filter(read_at__isnull=True).values_list("user_id", flat=True).distinct()
    for user_id in list(people):
        older = Notification.objects.filter(user_id=user_id, read_at__isnull=True).order_by(
            "-created_at", "-id"
        )[keep:]
        marked += Notification.objects.filter(pk__in=list(older.values_list("pk", flat=True))).update(
            read_at=now()
        )
    return marked
