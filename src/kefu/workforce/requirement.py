"""Agents required per half-hour: the stored forecast through Erlang C / A, shrinkage and the peak floor."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from . import config, erlang
from .models import ForecastInterval, ForecastRun, RunState

INTERVAL = 1800


@dataclass
class Need:
    starts_at: datetime
    expected: dict[str, float] = field(default_factory=dict)  # channel → contacts
    agents: dict[str, float] = field(default_factory=dict)  # channel → agents on a live queue
    day_kind: str = ""
    peak: bool = False
    required: int = 0  # on duty, after shrinkage and the floor

    @property
    def total(self) -> float:
        return sum(self.expected.values())


def latest_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(state=RunState.DONE).order_by("-night").first()


def channel_agents(cfg: dict, channel: str, contacts: float) -> float:
    """Agents busy with `channel` in one half-hour (before shrinkage and floor)."""
    if contacts <= 0.01:
        return 0.0
    aht = float(config.per_channel(cfg, "aht", channel))
    if channel not in cfg["realtime"]:
        return contacts * aht / INTERVAL / cfg["deferred_occupancy"]
    within = float(config.per_channel(cfg, "answer_within", channel))
    patience = cfg["patience"].get(channel)
    kw = {"arrivals": contacts, "interval": INTERVAL, "aht": aht, "answer_within": within}
    if patience:
        return erlang.required_a(
            service_level=cfg["service_level"], patience=float(patience), floor=0, **kw
        ).agents
    return erlang.required(service_level=cfg["service_level"], floor=0, **kw).agents


def needs(start: datetime, end: datetime, *, run: ForecastRun | None = None) -> list[Need]:
    """One `Need` per half-hour of [start, end) the latest forecast covers, in order."""
    cfg = config.get()
    run = run or latest_run()
    if run is None:
        return []
    by_start: dict[datetime, Need] = {}
    rows = ForecastInterval.objects.filter(run=run, starts_at__gte=start, starts_at__lt=end).values_list(
        "starts_at", "channel", "expected", "day_kind"
    )
    cache: dict[tuple[str, float], float] = {}
    for starts_at, channel, expected, kind in rows.order_by("starts_at", "channel"):
        need = by_start.get(starts_at)
        if need is None:
            need = by_start[starts_at] = Need(starts_at, day_kind=kind)
        need.expected[channel] = expected
        key = (channel, round(expected, 1))
        if key not in cache:
            cache[key] = channel_agents(cfg, channel, key[1])
        need.agents[channel] = cache[key]
    out = sorted(by_start.values(), key=lambda n: n.starts_at)
    tz = start.tzinfo
    peaks: dict = defaultdict(float)
    for need in out:
        day = need.starts_at.astimezone(tz).date()
        peaks[day] = max(peaks[day], need.total)
    # Email and web forms wait for staffed hours: a day's deferred workload is spread over its
    # peak half-hours instead of asking for someone at 03:00 for a fifth of an email.
    deferred: dict = defaultdict(float)
    peak_count: dict = defaultdict(int)
    for need in out:
        day = need.starts_at.astimezone(tz).date()
        need.peak = peaks[day] > 0 and need.total >= cfg["peak_share"] * peaks[day]
        peak_count[day] += need.peak
        for channel, busy in list(need.agents.items()):
            if channel not in cfg["realtime"]:
                deferred[day] += busy
                need.agents[channel] = 0.0
    for need in out:
        day = need.starts_at.astimezone(tz).date()
        busy = sum(need.agents.values()) + (deferred[day] / peak_count[day] if need.peak else 0.0)
        on_duty = math.ceil(busy / (1 - cfg["shrinkage"]) - 1e-9) if busy > 1e-9 else 0
        need.required = max(on_duty, cfg["floor"] if need.peak else 0)
    return out
