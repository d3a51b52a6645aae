"""The care app's settings: `KEFU_CARE` in settings.py overrides any of these defaults.

- callback_percent: share of each month's solved tickets sampled for a callback (回访), 0–100.
- callback_seed: mixed into the sampling hash; the same seed and month always pick the same tickets.
- complex_types / complex_priorities / complex_min_replies: a ticket closed by email is "complex"
  (always called back) when its type or priority is in the lists, or when agents replied to it at
  least `complex_min_replies` times.
- second_complaint_days: a complaint within this many days after an earlier one of the same customer
  about the same order or ticket is a second complaint (二次投诉).
- second_complaint_tag: the tag care puts on such a ticket; the automation trigger
  "二次投诉升级" reacts to it (priority urgent, supervisors notified, SLA escalation follows).
- key_top_percent: key customers are the top N % by 12-month spend; key_include_complainers adds
  everyone with a complaint in the period.
- care_tiers: tiers that get birthday and anniversary care.
- referral_first / referral_repeat: (fixed amount, percent of the order) of the reward on a lead's
  first order and on each later one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "callback_percent": 5,
    "callback_seed": "kefu",
    "complex_types": ["complaint", "technical"],
    "complex_priorities": ["high", "urgent"],
    "complex_min_replies": 3,
    "second_complaint_days": 30,
    "second_complaint_tag": "二次投诉",
    "key_top_percent": 20,
    "key_include_complainers": True,
    "care_tiers": ["vip", "premium_vip"],
    "referral_first": ("50.00", "5"),
    "referral_repeat": ("0.00", "2"),
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "KEFU_CARE", {})}[name]


def reward_rule(first: bool) -> tuple[Decimal, Decimal]:
    fixed, percent = get("referral_first" if first else "referral_repeat")
    return Decimal(str(fixed)), Decimal(str(percent))
