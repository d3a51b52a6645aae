"""The pure scoring function that QA reviews and training's scenario tests share."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from kefu.quality.scoring import ScoringError, score, weight_problems


def item(pk, weight, kind="yes_no", critical=False):
    return SimpleNamespace(pk=pk, weight=weight, kind=kind, critical=critical)


CARD = [
    item(1, 30, critical=True),  # 服务态度
    item(2, 40, "scale"),  # 解决方案正确 (1–5)
    item(3, 20),  # 规范用语
    item(4, 10),  # 首问负责
]


def test_full_marks_is_100():
    result = score(CARD, {1: "yes", 2: 5, 3: "yes", 4: "yes"})
    assert result.total == Decimal("100.0")
    assert result.complete and not result.zeroed_by_critical


def test_hand_computed_mixed_answers():
    # 30 + 40*(4-1)/4=30 + 0 + 10 = 70 of 100
    result = score(CARD, {"1": "yes", "2": "4", "3": "no", "4": "yes"})
    assert result.total == Decimal("70.0")
    assert result.items[2].earned == Decimal(30)
    assert result.items[3].earned == 0


def test_not_applicable_leaves_item_out():
    # 4 is N/A: 30 + 40*2/4=20 + 20 = 70 of 90 applicable → 77.8
    result = score(CARD, {1: "yes", 2: 3, 3: "yes", 4: "na"})
    assert result.applicable == 90
    assert result.total == Decimal("77.8")
    assert result.items[4].earned is None


def test_failed_critical_item_zeroes_the_score():
    result = score(CARD, {1: "no", 2: 5, 3: "yes", 4: "yes"})
    assert result.total == 0
    assert result.zeroed_by_critical and result.failed_critical == [1]


def test_critical_scale_item_at_1_zeroes():
    card = [item(1, 50, "scale", critical=True), item(2, 50)]
    assert score(card, {1: 1, 2: "yes"}).zeroed_by_critical
    assert score(card, {1: 2, 2: "yes"}).total == Decimal("62.5")


def test_missing_answers_are_listed():
    result = score(CARD, {1: "yes", 2: 5})
    assert result.missing == [3, 4] and not result.complete


@pytest.mark.parametrize(
    "answers", [{9: "yes"}, {1: 3}, {2: 6}, {2: 0}, {2: "yes"}, {1: "maybe"}, {"x": "yes"}, {2: True}]
)
def test_bad_answers_raise(answers):
    with pytest.raises(ScoringError):
        score(CARD, answers)


def test_weight_problems():
    assert weight_problems([]) == ["no_items"]
    assert weight_problems([item(1, 50), item(2, 40)]) == ["weights"]
    assert weight_problems(CARD) == []
