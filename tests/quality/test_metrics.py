"""The quality figures, on fixtures counted by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kefu.core import metrics
from kefu.quality import selectors, services
from kefu.quality.models import Review
from tests.clock import SHANGHAI

from .conftest import full_marks, item_ids

pytestmark = pytest.mark.now("2026-06-10 10:00")
JUNE = {"start": date(2026, 6, 1), "end": date(2026, 6, 30)}


def test_the_agreed_keys_are_registered():
    for key in ("qa_score", "qa_dispute_rate", "qa_sampling_coverage"):
        assert metrics.get(key).app == "quality"


def _review(ticket, who, answers, card):
    review = services.open_review(ticket, by=who)
    return services.save_review(review, by=who, answers=answers, submit=True)


def test_qa_score_dispute_rate_and_coverage(
    scorecard, qa_sun, lead_zhao, agent_li, agent_wang, solved_ticket, fixed_clock
):
    a, b, c, d = item_ids(scorecard)
    at = datetime(2026, 6, 3, 12, tzinfo=SHANGHAI)
    li1, li2, wang1 = (
        solved_ticket(agent_li, at=at),
        solved_ticket(agent_li, at=at),
        solved_ticket(agent_wang, at=at),
    )
    solved_ticket(agent_wang, at=at)  # solved, never reviewed
    _review(li1, qa_sun, full_marks(scorecard), scorecard)  # 100 on 10 June
    r2 = _review(li2, qa_sun, {a: "yes", b: 3, c: "no", d: "yes"}, scorecard)  # 30+20+0+10 = 60
    fixed_clock.shift(timedelta(days=1))
    _review(wang1, qa_sun, {a: "no", b: 5, c: "yes", d: "yes"}, scorecard)  # critical failed: 0, 11 June
    draft = services.open_review(solved_ticket(agent_wang, at=at), by=lead_zhao)  # a draft counts nowhere
    assert draft.status == "draft"
    services.dispute(Review.objects.get(pk=r2.pk), by=agent_li, reason="不同意")

    assert metrics.total("qa_score", **JUNE) == pytest.approx(160 / 3)
    by_agent = {p.group: p.value for p in metrics.compute("qa_score", by="agent", **JUNE).points}
    assert by_agent == {str(agent_li.pk): 80.0, str(agent_wang.pk): 0.0}
    by_day = {p.bucket: p.value for p in metrics.compute("qa_score", grain="day", **JUNE).points}
    assert by_day == {date(2026, 6, 10): 80.0, date(2026, 6, 11): 0.0}
    assert metrics.total("qa_dispute_rate", **JUNE) == pytest.approx(100 / 3)
    # 5 solved on 3 June, 3 with a submitted review (the draft does not count)
    assert metrics.total("qa_sampling_coverage", **JUNE) == pytest.approx(60.0)
    by_agent = {p.group: p.value for p in metrics.compute("qa_sampling_coverage", by="agent", **JUNE).points}
    assert by_agent == {str(agent_li.pk): 100.0, str(agent_wang.pk): pytest.approx(100 / 3)}


def test_score_per_item(scorecard, qa_sun, agent_li, solved_ticket):
    a, b, c, d = item_ids(scorecard)
    _review(solved_ticket(agent_li), qa_sun, {a: "yes", b: 3, c: "no", d: "na"}, scorecard)
    _review(solved_ticket(agent_li), qa_sun, {a: "yes", b: 5, c: "yes", d: "yes"}, scorecard)
    since = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    means = {
        item.text: (round(mean, 1), n)
        for item, mean, n in selectors.item_means(since=since, until=since + timedelta(days=30))
    }
    assert means == {
        "服务态度": (100.0, 2),
        "解决方案正确": (75.0, 2),
        "规范用语": (50.0, 2),
        "首问负责": (100.0, 1),
    }
