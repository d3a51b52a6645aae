"""Automatic checks of agent replies: forbidden phrases, unedited canned replies on complex cases
(机械套模板), missing greeting or closing; shown in the review and counted per agent."""

from __future__ import annotations

from kefu.automation.models import CannedReply, Macro
from kefu.quality import checks, selectors, services
from kefu.quality.models import ReplyCheck
from kefu.tickets.models import TicketType

CANNED = "您好，{{ customer_name }}！您的退款已经处理，预计 3–5 个工作日到账。祝您生活愉快！"


def kinds(ticket):
    return sorted(ReplyCheck.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_a_good_reply_has_no_findings(agent_li, solved_ticket):
    ticket = solved_ticket(agent_li)
    assert checks.run(ticket) == []


def test_forbidden_phrase_and_missing_greeting_and_closing(agent_li, solved_ticket):
    ticket = solved_ticket(agent_li, replies=("这个我不知道，你自己看订单页面吧。",))
    found = {c.kind: c.detail for c in checks.run(ticket)}
    assert found == {"forbidden": "不知道、你自己看", "no_greeting": "", "no_closing": ""}


def test_greeting_is_looked_for_in_the_first_reply_and_closing_in_the_last(agent_li, solved_ticket):
    ticket = solved_ticket(
        agent_li, replies=("您好，正在为您查询。", "查到了，明天送达。如有疑问请随时联系我们。")
    )
    assert checks.run(ticket) == []
    ticket = solved_ticket(
        agent_li,
        replies=("正在为您查询" + "，请稍等" * 12 + "。您好", "祝您生活愉快！已经送达。" + "后续" * 50),
    )
    assert kinds(ticket) == [] and sorted(c.kind for c in checks.run(ticket)) == ["no_closing", "no_greeting"]


def test_the_standard_is_configurable(agent_li, solved_ticket, lead_zhao):
    services.save_check_standard(
        forbidden=["查询"], greetings=[], closings=[], require_greeting=False, require_closing=False
    )
    ticket = solved_ticket(agent_li, replies=("正在为您查询。",))
    assert [(c.kind, c.detail) for c in checks.run(ticket)] == [("forbidden", "查询")]


def test_unedited_canned_reply_on_a_complex_case(agent_li, solved_ticket, customer_x):
    CannedReply.objects.create(title="退款已处理", body=CANNED)
    text = "您好，张小明！您的退款已经处理，预计 3–5 个工作日到账。祝您生活愉快！"
    complex_case = solved_ticket(agent_li, replies=(text,), type=TicketType.COMPLAINT)
    assert [(c.kind, c.detail) for c in checks.run(complex_case)] == [("template", "退款已处理")]
    simple = solved_ticket(agent_li, replies=(text,))
    assert checks.run(simple) == []  # a canned reply on a simple question is fine
    edited = solved_ticket(
        agent_li, replies=(text.replace("祝您", "给您补发了优惠券。祝您"),), priority="urgent"
    )
    assert checks.run(edited) == []


def test_macro_reply_text_counts_as_a_template(agent_li, solved_ticket):
    Macro.objects.create(
        name="催发货", actions=[{"type": "reply", "body": "您好，已催促仓库发货，请耐心等待。谢谢"}]
    )
    ticket = solved_ticket(agent_li, replies=("您好，已催促仓库发货，请耐心等待。谢谢",), priority="high")
    assert [(c.kind, c.detail) for c in checks.run(ticket)] == [("template", "催发货")]


def test_checks_run_when_a_review_is_opened_and_are_counted(
    scorecard, qa_sun, agent_li, agent_wang, solved_ticket
):
    bad = solved_ticket(agent_li, replies=("没办法。",))
    services.open_review(bad, by=qa_sun)
    services.open_review(solved_ticket(agent_wang), by=qa_sun)
    review = services.open_review(bad, by=qa_sun)
    lines = selectors.conversation(review)
    assert sorted(c.kind for line in lines for c in line.checks) == ["forbidden", "no_closing", "no_greeting"]
    counts = selectors.check_counts()
    assert counts == {agent_li.pk: {"forbidden": 1, "template": 0, "no_greeting": 1, "no_closing": 1}}
    assert ReplyCheck.objects.count() == 3  # opening again adds nothing
