"""How rules read on screen: actions by their label, durations in days and hours (not "4320 分钟")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext

from .rules import ACTION_TYPES

MINUTES_PER_DAY = 24 * 60


def action_label(action: Any) -> str:
    """设置优先级 for "set_priority" (or an action dict); an unknown code is shown as it is."""
    code = action.get("type", "") if isinstance(action, dict) else str(action)
    return str(ACTION_TYPES.get(code, code))


def duration(minutes: int | None) -> str:
    """A time rule's wait in the largest whole units: 4320 → 3 天, 1500 → 1 天 1 小时, 90 → 1 小时 30 分钟."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts)
