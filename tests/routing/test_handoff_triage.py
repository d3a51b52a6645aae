"""What triage reads of a bot hand-off (issue 14 item 6): the customer's lines of the transcript,
never the bot's. knowledge writes the transcript and routing reads it, and neither imports the
other (they are siblings in the layers), so this test holds the two sides of the convention."""

from __future__ import annotations

import pytest
from django.utils import translation

from kefu.knowledge import bot
from kefu.routing.services import triage
from kefu.tickets.services import open_ticket

LINES = [
    {"who": "customer", "text": "发票抬头写错了"},
    {"who": "bot", "text": "您是不是想问： 如何开具发票 / 发票抬头写错了怎么办"},
    {"who": "customer", "text": "能重开吗？\n公司名称: 云杉优品"},  # two lines, and a ": " of its own
    {"who": "bot", "text": "Answered with the article: 如何开具发票"},
    {"who": "customer", "text": "转人工"},
    {"who": "bot", "text": "正在为您转接人工客服。"},
]


def test_the_mark_of_a_hand_off_message_is_the_one_knowledge_writes():
    assert triage.BOT_TRANSCRIPT == bot.HANDOFF_MARK


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_triage_reads_the_customers_lines_of_a_transcript_in_any_language(language):
    with translation.override(language):
        written = bot.render_transcript(LINES)
    assert triage.customer_lines(written) == "发票抬头写错了\n能重开吗？ 公司名称: 云杉优品\n转人工"


def test_text_that_is_not_a_transcript_is_read_as_it_is():
    assert triage.customer_lines("退货后发票怎么处理？") == "退货后发票怎么处理？"
    assert triage.customer_lines("") == ""


def test_only_a_hand_off_message_is_read_as_a_transcript(customer_x):
    body = bot.render_transcript(LINES)
    handed = open_ticket(
        customer=customer_x, subject="发票抬头写错了", body=body, by=None, external_id="kb-bot:kb-x:1"
    ).ticket
    written = open_ticket(customer=customer_x, subject="开票", body=body, by=None).ticket
    assert triage.text_of(handed) == "发票抬头写错了\n发票抬头写错了\n能重开吗？ 公司名称: 云杉优品\n转人工"
    assert triage.text_of(written) == f"开票\n{body}"  # a customer's own message is read whole


def test_training_reads_a_hand_off_as_triage_does(customer_x, agent_li):
    from kefu.routing.services.training import history
    from kefu.tickets import services

    body = bot.render_transcript(LINES)
    handed = open_ticket(
        customer=customer_x, subject="发票抬头写错了", body=body, by=None, external_id="kb-bot:kb-x:2"
    ).ticket
    other = open_ticket(customer=customer_x, subject="退货", body="怎么退货", by=None).ticket
    for ticket, priority in ((handed, "high"), (other, "high")):
        ticket = services.update_ticket(ticket, by=agent_li, version=ticket.version, priority=priority)
        services.change_status(ticket, to="solved", by=agent_li)
    texts = history("priority").texts
    assert triage.text_of(handed) in texts  # trained on exactly what is predicted from
    assert not any("如何开具发票" in text for text in texts)  # never on the bot's suggestions
