"""Scoring a scorecard: a pure function (no database writes, no clock), reused by training.

    result = score(scorecard, {item.pk: "yes", other.pk: 4, third.pk: "na"})
    result.total            # Decimal 0–100, one decimal
    result.items[item.pk]   # ItemScore(value, earned, possible)
    result.zeroed_by_critical

Rules
- Answers: a yes/no item takes "yes", "no" or "na"; a 1–5 item takes 1..5 or "na".
- "yes" earns the item's weight, "no" earns 0; a value v on 1–5 earns weight × (v − 1) / 4
  (1 = not at all, 5 = fully).
- "na" (not applicable) leaves the item out: the total is earned ÷ applicable weight × 100, so a
  scorecard whose weights add up to 100 and is answered fully without N/A scores out of 100 points.
- A critical item answered "no" (or 1 on a 1–5 item) zeroes the total (`zeroed_by_critical`,
  `failed_critical` lists which), whatever the other answers.
- Unanswered items are listed in `missing` and left out like N/A; services refuse to submit a review
  with missing answers. An unknown item id or a value of the wrong kind raises `ScoringError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

YES, NO, NA = "yes", "no", "na"
YES_NO, SCALE = "yes_no", "scale"
SCALE_MIN, SCALE_MAX = 1, 5
WEIGHT_TOTAL = 100


class ScoringError(ValueError):
    """An answer that does not fit its item (unknown item, wrong kind of value)."""

    def __init__(self, message: str, *, item_id: int | None = None):
        super().__init__(message)
        self.item_id = item_id


class ItemLike(Protocol):
    pk: Any
    weight: int
    kind: str
    critical: bool


@dataclass(frozen=True)
class ItemScore:
    value: str | int | None  # the normalised answer, None when unanswered
    earned: Decimal | None  # points earned, None when N/A or unanswered
    possible: int  # the item's weight (0 counted when N/A)
    failed_critical: bool = False


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal  # 0–100, one decimal
    items: dict[int, ItemScore] = field(default_factory=dict)
    zeroed_by_critical: bool = False
    failed_critical: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    earned: Decimal = Decimal(0)
    applicable: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing


def _items(scorecard: Any) -> list[ItemLike]:
    if hasattr(scorecard, "items") and hasattr(scorecard.items, "all"):
        return list(scorecard.items.all())
    return list(scorecard)


def normalise(item: ItemLike, value: object) -> str | int:
    """The canonical form of one answer, or ScoringError."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("na", "n/a", "n-a"):
            return NA
        if item.kind == YES_NO:
            if text in (YES, NO):
                return text
            raise ScoringError(f"item {item.pk}: answer yes, no or na", item_id=item.pk)
        if text.isdigit():
            value = int(text)
    if item.kind == YES_NO:
        if value is True:
            return YES
        if value is False:
            return NO
        raise ScoringError(f"item {item.pk}: answer yes, no or na", item_id=item.pk)
    if isinstance(value, bool) or not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
        raise ScoringError(f"item {item.pk}: answer 1–5 or na", item_id=item.pk)
    return value


def _earned(item: ItemLike, value: str | int) -> tuple[Decimal, bool]:
    weight = Decimal(item.weight)
    if item.kind == YES_NO:
        return (weight if value == YES else Decimal(0)), value == NO
    assert isinstance(value, int)
    return weight * Decimal(value - SCALE_MIN) / Decimal(SCALE_MAX - SCALE_MIN), value == SCALE_MIN


def score(scorecard: Any, answers: Mapping[Any, object]) -> ScoreResult:
    """Score `answers` ({item id: value}; ids as int or str) against a scorecard (or its items)."""
    items = _items(scorecard)
    by_id = {int(item.pk): item for item in items}
    given: dict[int, object] = {}
    for key, value in answers.items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            raise ScoringError(f"unknown item {key!r}") from None
        if item_id not in by_id:
            raise ScoringError(f"unknown item {key!r}", item_id=item_id)
        if value is None or value == "":
            continue
        given[item_id] = value
    results: dict[int, ItemScore] = {}
    earned = Decimal(0)
    applicable = 0
    missing: list[int] = []
    failed: list[int] = []
    for item_id, item in by_id.items():
        if item_id not in given:
            missing.append(item_id)
            results[item_id] = ItemScore(None, None, 0)
            continue
        value = normalise(item, given[item_id])
        if value == NA:
            results[item_id] = ItemScore(NA, None, 0)
            continue
        points, fails = _earned(item, value)
        fails = fails and item.critical
        if fails:
            failed.append(item_id)
        earned += points
        applicable += item.weight
        results[item_id] = ItemScore(value, points, item.weight, fails)
    if failed or applicable == 0:
        total = Decimal(0)
    else:
        total = earned * 100 / Decimal(applicable)
    total = total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ScoreResult(
        total=total,
        items=results,
        zeroed_by_critical=bool(failed),
        failed_critical=failed,
        missing=missing,
        earned=earned,
        applicable=applicable,
    )


def weight_problems(items: Iterable[ItemLike]) -> list[str]:
    """Why a scorecard cannot be used (no items, weights not adding up to 100), in English codes:
    "no_items", "weights". Empty when it is fine."""
    items = list(items)
    if not items:
        return ["no_items"]
    if sum(int(i.weight) for i in items) != WEIGHT_TOTAL:
        return ["weights"]
    return []
