"""Full-text search over subject, messages and customer, for Chinese and English."""

import pytest

from kefu.core.text import tokens
from kefu.tickets import selectors, services


def test_chinese_is_split_into_bigrams_and_english_into_words():
    assert tokens("我要退款 Refund-123 please") == ["我要", "要退", "退款", "refund-123", "please"]
    assert tokens("单") == ["单"]


@pytest.fixture
def corpus(customer_x, customer_y, make_ticket, team_aftersales):
    return {
        "refund_subject": make_ticket(
            customer_x, subject="申请退款", body="衣服尺码不合适", team=team_aftersales
        ),
        "refund_body": make_ticket(
            customer_x, subject="售后问题", body="能不能退款？已经等了一周", team=team_aftersales
        ),
        "invoice": make_ticket(
            customer_y, subject="开具发票", body="请开增值税专用发票", team=team_aftersales
        ),
        "english": make_ticket(
            customer_y,
            subject="Password reset not working",
            body="I never get the reset email",
            team=team_aftersales,
        ),
    }


def test_chinese_search_is_ranked_subject_first(corpus, agent_li):
    hits = selectors.search_tickets(agent_li, "退款")
    assert [h.ticket.pk for h in hits] == [corpus["refund_subject"].pk, corpus["refund_body"].pk]
    assert "<mark>退款</mark>" in hits[0].subject_html
    assert "<mark>退款</mark>" in hits[1].snippet_html


def test_english_search_and_customer_fields(corpus, agent_li, customer_y):
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "reset")] == [corpus["english"].pk]
    by_customer = {h.ticket.pk for h in selectors.search_tickets(agent_li, customer_y.email)}
    assert by_customer == {corpus["invoice"].pk, corpus["english"].pk}


def test_search_by_ticket_number(corpus, agent_li):
    ticket = corpus["invoice"]
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, ticket.number)] == [ticket.pk]


def test_all_terms_must_match(corpus, agent_li):
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "专用发票")] == [corpus["invoice"].pk]
    assert selectors.search_tickets(agent_li, "退款 发票") == []


def test_search_respects_access_and_internal_notes(corpus, customer_x, agent_li, agent_tech):
    services.add_note(corpus["refund_body"], body="内部：疑似恶意退款", by=agent_li)
    mine = {h.ticket.pk for h in selectors.search_tickets(customer_x.user, "发票")}
    assert mine == set()  # customer_y's invoice ticket is invisible to customer_x
    assert selectors.search_tickets(agent_tech, "退款") == []  # another team
    # The note's words are found by staff, never by the customer whose ticket it is.
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "恶意")] == [corpus["refund_body"].pk]
    assert selectors.search_tickets(customer_x.user, "恶意") == []


def test_search_index_follows_new_messages(corpus, agent_li):
    services.reply(corpus["invoice"], body="电子发票已发送到您的邮箱", by=agent_li)
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "邮箱")] == [corpus["invoice"].pk]


def test_hostile_queries_do_not_break_search(corpus, agent_li):
    for q in ['"', "'; DROP TABLE tickets_ticket; --", "NEAR(", "*", "a" * 500, "退款 OR 1=1", "\\"]:
        selectors.search_tickets(agent_li, q)  # no exception
    assert selectors.search_tickets(agent_li, "") == []
