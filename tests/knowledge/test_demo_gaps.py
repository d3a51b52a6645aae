"""The demo's bot history: its questions go through the real bot, and the gap report groups what
the demo knowledge base does not cover into clusters a KB editor can act on."""

from __future__ import annotations

import pytest

from kefu.knowledge import demo, demo_questions, gaps
from kefu.knowledge.models import BotQuestion


@pytest.mark.django_db
def test_the_demo_gap_report_shows_clusters_of_uncovered_topics():
    demo.load_config()
    asked = BotQuestion.objects.filter(session__startswith=demo_questions.SESSION_PREFIX).count()
    assert asked == len(demo_questions.QUESTIONS)
    assert demo_questions.load() == 0  # a second `kefu demo` asks nothing again
    # covered questions were answered by the bot itself
    answered = BotQuestion.objects.get(question="我的快递到哪了")
    assert answered.outcome == "answered" and answered.article.external_id == "demo-track"
    report = gaps.gap_report(30)
    topics = ("分期", "团购", "以旧换新", "发货到", "寄")
    coherent = [g for g in report if g.count >= 2 and any(all(t in e for e in g.examples) for t in topics)]
    assert len(coherent) >= 2, [(g.count, g.examples) for g in report]
    assert all("快递到哪" not in e for g in report for e in g.examples)
