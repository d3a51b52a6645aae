"""Bot containment in the metric registry: conversations the bot answered without a hand-off ÷ bot
conversations; the gap page's self-service rate is the same figure."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.core import metrics
from kefu.knowledge import gaps, services
from kefu.tickets.models import Ticket

# Its fixtures are dated around the suite's default instant; the run a year later would move them.
pytestmark = pytest.mark.now("2026-06-10 10:00")

DAY = date(2026, 6, 10)


@pytest.fixture
def conversations(kb, customer_x):
    """A: two answers in one session (contained). B: an answer, then 转人工 in the same session
    (handed off: not contained, a ticket for customer_x). C: one answer marked unhelpful (not
    contained). D: one answer (contained). An empty question is no conversation."""
    a = services.converse("退款多久能到账？", token="", owner="v:a")
    services.converse("怎么开发票", token=a.session, owner="v:a")
    b = services.converse("退款多久能到账？", token="", owner=f"u:{customer_x.user.pk}", customer=customer_x)
    handed = services.converse(
        "转人工", token=b.session, owner=f"u:{customer_x.user.pk}", customer=customer_x
    )
    c = services.answer("怎么开发票")
    services.record_bot_feedback(c.question_id, helpful=False, anonymous=True)
    d = services.answer("退款多久能到账？")
    services.answer("   ")
    assert [x.decision for x in (a, b, c, d)] == ["answer"] * 4 and handed.decision == "handoff"
    return handed


def test_containment_counts_conversations_not_questions(conversations, customer_x):
    series = metrics.compute("bot_containment", start=DAY, end=DAY, grain="day")
    assert [(p.num, p.den, p.value) for p in series.points] == [(2, 4, 50.0)]
    # anonymous visitors: A, C, D (two contained); customer_x's tier: B (handed off)
    by_tier = metrics.compute("bot_containment", start=DAY, end=DAY, by="tier")
    assert {p.group: (p.num, p.den) for p in by_tier.points} == {"none": (2, 3), customer_x.tier: (0, 1)}
    assert metrics.total("bot_containment", start=DAY, end=DAY, filters={"tier": [customer_x.tier]}) == 0.0
    assert list(metrics.get("bot_containment").drill(metrics.window(DAY, DAY), None, None)) == [
        Ticket.objects.get(pk=conversations.ticket_id)
    ]


def test_the_gap_page_shows_the_same_self_service_rate(conversations, client, agent_li):
    summary = gaps.bot_summary(7)
    assert summary.asked == 6 and summary.self_served == 0.5
    assert summary.self_served * 100 == metrics.total("bot_containment", start=date(2026, 6, 3), end=DAY)
    client.force_login(agent_li)
    html = client.get("/agent/kb/gaps/?days=7").content.decode()
    assert 'data-testid="bot-self-served">50%<' in html
