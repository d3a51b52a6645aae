"""The quality app's settings: `KEFU_QUALITY` in settings.py overrides any of these defaults.

- sample_percent / sample_min: each agent's weekly random sample is sample_percent % of the tickets
  they solved last week, at least sample_min (or all of them when they solved fewer).
- sample_seed: mixed into the sampling hash; the same seed and week always pick the same tickets.
- low_csat_max: a CSAT answer at or below this (1–5) puts the ticket in the sample.
- new_hire_tickets: a new hire's first N solved tickets are all sampled. A new hire is an agent
  whose seniority (accounts, years) is 0 — accounts keeps no hire date.
- complex_types / complex_priorities / complex_min_replies: a "complex case" for the
  机械套模板 check (a reply that is only an unedited canned reply).
- forbidden / greetings / closings: the defaults of the reply-check standard before a supervisor
  saves their own (CheckSettings).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "sample_percent": 5,
    "sample_min": 5,
    "sample_seed": "kefu-qa",
    "low_csat_max": 2,
    "new_hire_tickets": 30,
    "complex_types": ["complaint", "technical"],
    "complex_priorities": ["high", "urgent"],
    "complex_min_replies": 3,
    "forbidden": ["不知道", "没办法", "不归我管", "你自己看", "找别人", "我也没办法", "爱买不买"],
    "greetings": ["您好", "你好", "亲", "早上好", "下午好", "晚上好", "感谢您的来信", "Hello", "Hi"],
    "closings": [
        "祝您生活愉快",
        "还有其他问题",
        "有疑问",
        "如有其他问题",
        "感谢您的耐心",
        "感谢您的理解",
        "感谢您的支持",
        "随时联系",
        "欢迎随时",
        "谢谢",
        "Regards",
        "Thank you",
    ],
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "KEFU_QUALITY", {})}[name]
