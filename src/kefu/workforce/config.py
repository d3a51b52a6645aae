"""Staffing settings: `KEFU_WORKFORCE` in settings overrides any of these defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # the forecast
    "weeks": 8,  # weeks of same-weekday history for the level and the half-hour shape
    "history_days": 400,  # how far back past holidays and make-up days are looked for
    "days": 15,  # days forecast each night (today and the next two weeks)
    "holiday_factor": 0.6,  # a holiday's share of an ordinary day until the history shows one
    "channels": ["phone", "chat", "email", "web"],  # always forecast, even without history
    # the requirement (Erlang C; Erlang A where customers abandon)
    "service_level": 0.8,
    "answer_within": {"phone": 20, "chat": 30, "wechat": 30, "*": 20},
    "aht": {"phone": 240, "chat": 300, "wechat": 300, "email": 420, "web": 420, "*": 360},
    "patience": {"chat": 90, "wechat": 120},  # Erlang A for these channels
    "realtime": ["phone", "chat", "wechat"],  # queues answered live; others are workload
    "deferred_occupancy": 0.85,  # email/web: agents = workload ÷ this share
    "shrinkage": 0.3,
    "floor": 2,  # at least 2 agents on duty at peak hours (the strategy plan)
    "peak_share": 0.5,  # an interval is peak when its forecast is ≥ this share of the day's highest
    # rosters
    "max_consecutive_days": 6,
    "min_rest_hours": 11,
}


def get() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "KEFU_WORKFORCE", {})}


def per_channel(cfg: dict[str, Any], key: str, channel: str) -> Any:
    table = cfg[key]
    return table.get(channel, table.get("*"))
