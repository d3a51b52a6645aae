"""Scorecards are edited by supervisors and refused, with the reason, when they cannot score."""

from __future__ import annotations

import pytest

from kefu.quality import services
from kefu.quality.errors import BadScorecard, NotFound

from .conftest import ITEMS


def test_supervisor_saves_sections_items_and_critical_flags(scorecard):
    assert scorecard.sections == ["服务态度", "业务能力", "服务规范"]
    items = list(scorecard.items.order_by("position").values_list("text", "weight", "kind", "critical"))
    assert items == [
        ("服务态度", 30, "yes_no", True),
        ("解决方案正确", 40, "scale", True),
        ("规范用语", 20, "yes_no", False),
        ("首问负责", 10, "yes_no", False),
    ]


def test_weights_not_adding_up_are_refused_with_the_reason(lead_zhao):
    bad = [dict(i) for i in ITEMS]
    bad[0]["weight"] = 25
    with pytest.raises(BadScorecard) as exc:
        services.save_scorecard(by=lead_zhao, name="错的", items=bad)
    assert "95" in exc.value.message and "100" in exc.value.message


def test_no_items_is_refused(lead_zhao):
    with pytest.raises(BadScorecard) as exc:
        services.save_scorecard(by=lead_zhao, name="空的", items=[])
    assert exc.value.field == "items"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "stars"}, "items[0].kind"),
        ({"text": " "}, "items[0].text"),
        ({"weight": "abc"}, "items[0].weight"),
    ],
)
def test_bad_items_are_refused(lead_zhao, change, field):
    bad = [dict(i) for i in ITEMS]
    bad[0].update(change)
    with pytest.raises(BadScorecard) as exc:
        services.save_scorecard(by=lead_zhao, name="坏的", items=bad)
    assert exc.value.field == field


def test_editing_keeps_item_ids(scorecard, lead_zhao):
    items = [
        {
            "id": i.pk,
            "section": i.section,
            "text": i.text,
            "weight": i.weight,
            "kind": i.kind,
            "critical": i.critical,
        }
        for i in scorecard.items.order_by("position")
    ]
    kept = [i["id"] for i in items]
    items[2]["text"] = "使用规范用语"
    services.save_scorecard(by=lead_zhao, scorecard=scorecard, name=scorecard.name, items=items)
    assert list(scorecard.items.order_by("position").values_list("pk", flat=True)) == kept
    assert scorecard.items.get(pk=kept[2]).text == "使用规范用语"


def test_agents_and_qa_cannot_edit_scorecards(agent_li, qa_sun):
    for who in (agent_li, qa_sun):
        with pytest.raises(NotFound):
            services.save_scorecard(by=who, name="x", items=ITEMS)
