"""Scheduled delivery: every active subscription gets last month's report by mail, once per month.

A periodic task (hourly, `analytics-send-reports`) calls `send_due_reports()`. From SEND_FROM_HOUR
on the 1st (local time: the month is over and the night's late events and rollups have settled)
the due period is the month that just ended. Each subscription whose `last_sent_period` is before
it is claimed with a compare-and-set on that column — `UPDATE … SET last_sent_period = '2026-10'
WHERE pk = … AND last_sent_period = <what we read>` — so of several workers or scheduler nodes
running at once exactly one sends it. If sending fails the claim is handed back (the same
compare-and-set the other way) and the next run tries again; a run that died between claim and
send loses that month's mail rather than sending it twice.

A subscription added mid-month gets the last finished month's report on the next run, and a
scheduler that was down on the 1st catches up on its next run.

The mail goes out through kefu's own automatic-mail path (`core.automail`: rendered in the
install's language, marked Auto-Submitted so auto-responders stay quiet), one mail to all the
subscription's recipients, the report attached in the subscription's format.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation

from kefu.analytics.models import ReportSubscription
from kefu.core.automail import send_templated
from kefu.core.clock import now

from .display import change_text, value_text
from .monthly import add_months, build_monthly, period
from .render import Rendered, render

log = logging.getLogger("kefu.analytics")

SEND_FROM_HOUR = 6


def due_month(at: datetime | None = None):  # -> date
    """The month whose report is due at `at`: the last one that ended before SEND_FROM_HOUR today."""
    shifted = timezone.localtime(at or now()) - timedelta(hours=SEND_FROM_HOUR)
    return add_months(shifted.date().replace(day=1), -1)


def recipients(text: str) -> list[str]:
    """Addresses from the subscription's field (commas, semicolons, spaces or lines); bad ones dropped."""
    found = []
    for item in re.split(r"[\s,;，；]+", text or ""):
        item = item.strip()
        if not item:
            continue
        try:
            validate_email(item)
        except ValidationError:
            log.warning("report subscription: %r is not an email address, skipped", item)
            continue
        if item.lower() not in {f.lower() for f in found}:
            found.append(item)
    return found


def _claim(sub: ReportSubscription, key: str) -> bool:
    return bool(
        ReportSubscription.objects.filter(
            pk=sub.pk, active=True, last_sent_period=sub.last_sent_period
        ).update(last_sent_period=key)
    )


def _release(sub: ReportSubscription, key: str) -> None:
    ReportSubscription.objects.filter(pk=sub.pk, last_sent_period=key).update(
        last_sent_period=sub.last_sent_period
    )


def send_due_reports(*, at: datetime | None = None) -> int:
    """Mails the due month's report to every active subscription that has not had it; returns how many."""
    month = due_month(at)
    key = period(month)
    due = ReportSubscription.objects.filter(
        active=True, kind=ReportSubscription.Kind.MONTHLY, last_sent_period__lt=key
    ).order_by("pk")
    language = settings.LANGUAGE_CODE
    rendered: dict[str, Rendered] = {}  # one rendering per format per run
    report = None
    title, lines = "", []
    sent = 0
    for sub in due:
        to = recipients(sub.recipients)
        if not to:
            continue
        if not _claim(sub, key):
            continue  # another worker has it
        try:
            with translation.override(language):
                if report is None:
                    report = build_monthly(month)
                    title = report.title
                    lines = [
                        (f.name, value_text(f.value, f.unit), change_text(f.change_previous, f.unit))
                        for f in report.headline
                        if f.available
                    ]
                if sub.format not in rendered:
                    rendered[sub.format] = render(report, sub.format)
            file = rendered[sub.format]
            send_templated(
                to=to,
                language=language,
                template="analytics/report_mail",
                context={
                    "title": title,
                    "period": key,
                    "company": settings.KEFU_COMPANY,
                    "lines": lines,
                    "unavailable": report.unavailable,
                },
                attachments=[(file.filename, file.body, file.content_type)],
            )
        except Exception:
            _release(sub, key)
            log.exception("monthly report %s to subscription %s not sent; will retry", key, sub.pk)
            continue
        sent += 1
    return sent
