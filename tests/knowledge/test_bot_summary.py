"""What the bot did, on the gap-report page: questions, self-service rate, hand-offs by reason, per day."""

from __future__ import annotations

import json
import re

from kefu.knowledge import gaps, services


def test_the_summary_counts_what_the_bot_did_and_the_page_charts_it(client, kb, agent_li, customer_x):
    a = services.answer("退款多久能到账？", customer=customer_x)
    b = services.answer("怎么开发票")
    services.answer("转人工")
    services.answer("我要投诉")
    services.answer("   ")  # an empty question is not a question
    services.record_bot_feedback(a.question_id, helpful=False, customer=customer_x)
    services.record_bot_feedback(b.question_id, helpful=True, anonymous=True)
    assert (a.decision, b.decision) == ("answer", "answer")

    summary = gaps.bot_summary(7)
    assert (summary.asked, summary.answered, summary.helpful, summary.unhelpful) == (4, 2, 1, 1)
    assert summary.handed_off == 2 and summary.handoff_reasons == {"asked_for_human": 1, "complaint": 1}
    assert summary.self_served == 0.25  # one answer of four questions nobody marked unhelpful
    assert (
        len(summary.days) == 8
        and summary.per_day["answered"][-1] == 2
        and summary.per_day["handoff"][-1] == 2
    )

    client.force_login(agent_li)
    html = client.get("/agent/kb/gaps/?days=7", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="bot-asked">4<' in html and 'data-testid="bot-self-served">25%<' in html
    assert "要求转人工 1" in html and "投诉 1" in html
    chart = json.loads(
        re.search(r'<script id="bot-chart-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert [s["name"] for s in chart["series"]] == ["已回答", "猜您想问", "已转人工"]
    assert chart["series"][0]["data"][-1] == 2


def test_an_empty_period_shows_zeros_and_no_chart(client, db, agent_li):
    client.force_login(agent_li)
    html = client.get("/agent/kb/gaps/").content.decode()
    assert 'data-testid="bot-asked">0<' in html and "data-kefu-chart" not in html
