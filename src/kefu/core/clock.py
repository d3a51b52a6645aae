"""One place to ask for the time, so tests can pin it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
