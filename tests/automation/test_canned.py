"""Canned replies (话术): a fixed set of variables, refused at save when unknown; shared or personal."""

from __future__ import annotations

import pytest

from kefu.automation import selectors, services, templating
from kefu.automation.errors import RuleInvalid
from kefu.automation.models import CannedReply
from kefu.core.errors import NotFound, PermissionDenied

GREETING = "您好 {{ customer_name }}，您的工单 {{ ticket_number }} 已收到，{{agent_name}} 将在 {{ expected_time }} 前答复您。"


def test_an_unknown_variable_is_refused_at_save_with_the_reason(agent_li):
    with pytest.raises(RuleInvalid) as err:
        services.save_canned_reply(by=agent_li, title="问候", body="您好 {{ customer_phone }}")
    assert err.value.field == "body"
    assert "customer_phone" in err.value.message
    assert not CannedReply.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "{{ customer_name|upper }}",
        "{{ ticket.customer.user.password }}",
        "{{ customer_name }} {% load static %}" + "{{",
        "{{ __class__ }}",
        "{{ }}",
    ],
)
def test_anything_but_a_plain_known_variable_is_refused(agent_li, body):
    with pytest.raises(RuleInvalid):
        services.save_canned_reply(by=agent_li, title="x", body=body)


def test_a_reply_is_filled_in_for_the_ticket_and_the_agent(agent_li, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    reply = services.save_canned_reply(by=agent_li, title="问候", body=GREETING, category="问候")
    text = services.render_canned_reply(reply, ticket=ticket, by=agent_li)
    assert text.startswith(f"您好 张小明，您的工单 {ticket.number} 已收到，李娜 将在 ")
    assert "{{" not in text
    reply.refresh_from_db()
    assert reply.usage_count == 1


@pytest.mark.fault("U1")
def test_values_are_text_not_template_code(agent_li, customer_x, make_ticket):
    customer_x.name = "{{ agent_name }}<script>alert(1)</script>"
    customer_x.save()
    ticket = make_ticket(customer_x)
    text = templating.render("Hi {{ customer_name }}", templating.context_for(ticket, agent=agent_li))
    assert text == "Hi {{ agent_name }}<script>alert(1)</script>"  # filled once, never re-evaluated


def test_personal_replies_belong_to_their_owner_and_shared_ones_to_supervisors(
    agent_li, agent_wang, lead_zhao
):
    mine = services.save_canned_reply(by=agent_li, title="我的结束语", body="祝您生活愉快！")
    assert mine.owner == agent_li
    with pytest.raises(PermissionDenied):
        services.save_canned_reply(by=agent_li, title="共享", body="x", shared=True)
    with pytest.raises(NotFound):  # another agent's personal reply: the same as missing
        services.save_canned_reply(by=agent_wang, reply=mine, title="改", body="改")
    with pytest.raises(NotFound):
        services.save_canned_reply(by=lead_zhao, reply=mine, title="改", body="改")
    shared = services.save_canned_reply(by=lead_zhao, title="问候", body=GREETING, shared=True)
    assert shared.owner is None
    with pytest.raises(NotFound):
        services.save_canned_reply(by=agent_li, reply=shared, title="改", body="改")
    assert {r.title for r in selectors.search_canned_replies(agent_li)} == {"我的结束语", "问候"}
    assert {r.title for r in selectors.search_canned_replies(agent_wang)} == {"问候"}


def test_search_by_words_category_and_language(agent_li, lead_zhao):
    services.save_canned_reply(
        by=lead_zhao, title="退换货流程", body="七天无理由退货…", category="退换货", shared=True
    )
    services.save_canned_reply(
        by=lead_zhao, title="物流查询", body="您的包裹正在派送", category="物流", shared=True
    )
    services.save_canned_reply(
        by=lead_zhao,
        title="Greeting",
        body="Hello {{ customer_name }}",
        category="问候",
        language="en",
        shared=True,
    )
    assert [r.title for r in selectors.search_canned_replies(agent_li, "退货")] == ["退换货流程"]
    assert [r.title for r in selectors.search_canned_replies(agent_li, "包裹")] == ["物流查询"]
    assert [r.title for r in selectors.search_canned_replies(agent_li, language="en")] == ["Greeting"]
    assert [r.title for r in selectors.search_canned_replies(agent_li, category="物流")] == ["物流查询"]


def test_customers_see_no_canned_replies(customer_x, lead_zhao):
    services.save_canned_reply(by=lead_zhao, title="问候", body="您好", shared=True)
    assert selectors.search_canned_replies(customer_x.user) == []
