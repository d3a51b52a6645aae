"""The feedback app's settings: `KEFU_FEEDBACK` in settings.py overrides any of these defaults.

- csat_expiry_days: a survey link (and the portal's rating box) is open this many days after sending.
- csat_send_after_minutes: the survey mail waits this long after the solve (a ticket reopened in
  the meantime gets none then; the solved notice and the survey do not arrive as one burst).
- csat_reminder_days: one reminder goes out this many days after the survey when it is unanswered.
- csat_mail_channels: tickets of these channels get the survey by mail (the others answer in the
  portal, and the chat widget when it exists).
- spam_tags: a ticket carrying one of these tags was closed as spam: no survey.
- reasons: the reason tags a customer may pick (code → label).
- nps_sample_percent: share of the customers active in the last 12 months asked for NPS each month.
- product_areas: the product areas a 需求反馈 tag may name.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULTS: dict[str, Any] = {
    "csat_expiry_days": 14,
    "csat_send_after_minutes": 60,
    "csat_reminder_days": 3,
    "csat_mail_channels": ["email", "web"],
    "spam_tags": ["spam", "垃圾邮件"],
    "nps_sample_percent": 10,
    "nps_expiry_days": 30,
    "nps_seed": "kefu",
}

REASONS: dict[str, Any] = {
    "speed": _("Response speed"),
    "attitude": _("Friendliness"),
    "expertise": _("Expertise"),
    "solution": _("Solution"),
    "process": _("Process and policy"),
}

PRODUCT_AREAS: dict[str, Any] = {
    "app": _("App"),
    "website": _("Website and shop"),
    "product": _("Product quality"),
    "delivery": _("Delivery and logistics"),
    "payment": _("Payment and invoices"),
    "other": _("Other"),
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "KEFU_FEEDBACK", {})}[name]
