"""Full-text search over subject, messages and customer, for Chinese and English."""

import pytest

from kefu.core.text import index_text
from kefu.tickets import selectors, services
from kefu.tickets.models import Ticket


def test_documents_are_folded_split_into_bigrams_and_content_characters_and_stemmed():
    # Traditional → Simplified, every bigram, each content character (not 我/要), English stemmed
    assert index_text("我要退貨 Refunds-123 please") == "我要 要退 退货 退 货 refunds-123 pleas"
    assert index_text("单") == "单"
    assert index_text("的了") == "的了"  # function characters are indexed only inside bigrams


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


def test_tickets_with_every_content_word_come_before_partial_matches(corpus, agent_li):
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "专用发票")] == [corpus["invoice"].pk]
    # Nothing holds both words: the tickets holding one of the two, subject hits first
    found = [h.ticket.pk for h in selectors.search_tickets(agent_li, "退款 发票")]
    assert set(found[:2]) == {corpus["invoice"].pk, corpus["refund_subject"].pk}
    assert found[2:] == [corpus["refund_body"].pk]
    # One ticket holds both: it comes first, and the partial matches still follow it
    services.reply(corpus["refund_body"], body="退款后发票会作废", by=agent_li)
    found = [h.ticket.pk for h in selectors.search_tickets(agent_li, "退款 发票")]
    assert found[0] == corpus["refund_body"].pk
    assert set(found) == {corpus["invoice"].pk, corpus["refund_subject"].pk, corpus["refund_body"].pk}


@pytest.mark.fault("D2")
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


@pytest.fixture
def tiny_bounds(monkeypatch):
    """Search bounds shrunk to a handful of tickets, so a test corpus shows what happens at 1M."""
    monkeypatch.setattr(selectors, "SMALL_SET", 1)
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    monkeypatch.setattr(selectors, "WALK", 2)


def test_large_result_sets_rank_the_newest_matches(tiny_bounds, customer_x, make_ticket, lead_zhao):
    oldest = make_ticket(customer_x, subject="退款进度", body="多久到账")
    older = make_ticket(customer_x, subject="退款申请", body="尺码不合适")
    newest = make_ticket(customer_x, subject="售后问题", body="能不能退款")
    hits = selectors.search_tickets(lead_zhao, "退款")
    # The newest CANDIDATES matches are ranked by relevance: the subject hit comes before the
    # newer message-only hit; older matches are beyond the bound.
    assert [h.ticket.pk for h in hits] == [older.pk, newest.pk]
    assert oldest.pk not in {h.ticket.pk for h in hits}
    assert "<mark>退款</mark>" in hits[0].subject_html


def test_narrowly_scoped_agents_still_find_their_old_matches(
    tiny_bounds, customer_x, make_ticket, team_aftersales, team_tech, agent_tech, lead_zhao
):
    mine = make_ticket(customer_x, subject="App 退款按钮无反应", body="点了没反应", team=team_tech)
    newer = [make_ticket(customer_x, subject=f"退款{i}", body="退款", team=team_aftersales) for i in range(5)]
    make_ticket(customer_x, subject="无关", body="无关")  # unrouted: agent_tech sees 2 > SMALL_SET tickets
    assert [h.ticket.pk for h in selectors.search_tickets(agent_tech, "退款")] == [mine.pk]
    assert {h.ticket.pk for h in selectors.search_tickets(lead_zhao, "退款")} == {newer[-1].pk, newer[-2].pk}


@pytest.mark.fault("D2")
def test_customers_get_every_match_of_their_own_tickets_ranked(
    tiny_bounds, monkeypatch, customer_x, customer_y, make_ticket, lead_zhao
):
    monkeypatch.setattr(selectors, "SMALL_SET", 10)
    body_hit = make_ticket(customer_x, subject="售后", body="我要退款")
    subject_hit = make_ticket(customer_x, subject="退款申请", body="已寄回")
    for _ in range(3):
        make_ticket(customer_y, subject="退款", body="退款")  # newer matches the customer cannot see
    hits = selectors.search_tickets(customer_x.user, "退款")
    assert [h.ticket.pk for h in hits] == [subject_hit.pk, body_hit.pk]
    assert "<mark>退款</mark>" in hits[1].snippet_html


@pytest.mark.fault("D2")
def test_a_ticket_moved_to_another_team_is_found_by_its_new_team_only(
    tiny_bounds, customer_x, make_ticket, team_aftersales, team_tech, agent_li, agent_tech, lead_zhao
):
    ticket = make_ticket(customer_x, subject="退款没到账", body="退款申请一周了", team=team_aftersales)
    services.reply(ticket, body="您好，正在核实。", by=agent_li)  # the search row is rewritten
    ticket.refresh_from_db()
    for _ in range(2):  # more than SMALL_SET: both agents search through the index walk
        make_ticket(customer_x, subject="无关", body="无关", team=team_aftersales)
        make_ticket(customer_x, subject="无关", body="无关", team=team_tech)
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "退款")] == [ticket.pk]
    assert selectors.search_tickets(agent_tech, "退款") == []

    services.update_ticket(ticket, by=lead_zhao, version=None, team=team_tech)
    assert [h.ticket.pk for h in selectors.search_tickets(agent_tech, "退款")] == [ticket.pk]
    assert selectors.search_tickets(agent_li, "退款") == []


def test_an_agent_finds_a_ticket_of_another_team_assigned_to_them(
    tiny_bounds, customer_x, make_ticket, team_aftersales, team_tech, agent_tech, lead_zhao
):
    ticket = make_ticket(customer_x, subject="发票抬头错了", body="请重开发票", team=team_aftersales)
    services.reply(ticket, body="您好，正在核实。", by=lead_zhao)  # the search row is rewritten
    ticket.refresh_from_db()
    for _ in range(2):
        make_ticket(customer_x, subject="无关", body="无关", team=team_tech)
    assert selectors.search_tickets(agent_tech, "发票") == []
    ticket = services.assign(ticket, to=agent_tech, by=lead_zhao)
    assert [h.ticket.pk for h in selectors.search_tickets(agent_tech, "发票")] == [ticket.pk]
    services.assign(ticket, to=None, by=lead_zhao)
    assert selectors.search_tickets(agent_tech, "发票") == []


def test_a_deleted_team_leaves_its_tickets_to_every_agent(
    tiny_bounds, customer_x, make_ticket, team_aftersales, team_tech, agent_tech, lead_zhao
):
    ticket = make_ticket(customer_x, subject="物流停了三天", body="快递不动", team=team_aftersales)
    services.reply(ticket, body="您好，正在核实。", by=lead_zhao)
    for _ in range(2):
        make_ticket(customer_x, subject="无关", body="无关", team=team_tech)
    assert selectors.search_tickets(agent_tech, "快递") == []
    team_aftersales.delete()  # the ticket's team becomes empty: every agent may see it
    assert [h.ticket.pk for h in selectors.search_tickets(agent_tech, "快递")] == [ticket.pk]


def _next_ticket_id(value: int) -> None:
    """Make the next ticket's id `value`, so a few tickets span the id blocks a search walks."""
    from django.db import connection

    from kefu.tickets.models import Ticket

    table = Ticket._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [value - 1, table])
        else:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [value - 1])


def test_newest_matches_are_found_across_id_blocks(
    tiny_bounds, monkeypatch, customer_x, make_ticket, team_aftersales, team_tech, agent_tech, lead_zhao
):
    monkeypatch.setattr(selectors, "CANDIDATES", 3)
    base = 5 << 20  # ids from here on cross the 1k, 4k and 16k block boundaries
    made = {}
    for name, offset, team in [
        ("a", -3000, team_tech),
        ("b", 1000, team_tech),
        ("c", 1030, team_aftersales),
        ("d", 5000, team_aftersales),
        ("e", 20000, team_aftersales),
    ]:
        _next_ticket_id(base + offset)
        made[name] = make_ticket(customer_x, subject="退款", body="退款", team=team)
        assert made[name].pk == base + offset
    _next_ticket_id(base + 20010)
    make_ticket(customer_x, subject="无关", body="无关", team=team_tech)
    # Same text everywhere, so the ranks tie and the newer ticket comes first.
    found = [h.ticket.pk for h in selectors.search_tickets(lead_zhao, "退款")]
    assert found == [made["e"].pk, made["d"].pk, made["c"].pk]
    # agent_tech sees only the two oldest: the walk goes on down to them.
    assert [h.ticket.pk for h in selectors.search_tickets(agent_tech, "退款")] == [made["b"].pk, made["a"].pk]


@pytest.mark.fault("D2")
def test_a_ticket_whose_search_row_outlives_its_visibility_is_never_shown(
    tiny_bounds, customer_x, make_ticket, team_aftersales, agent_li, lead_zhao
):
    survivor = make_ticket(customer_x, subject="退款到账了吗", body="退款", team=team_aftersales)
    gone = make_ticket(customer_x, subject="退款申请", body="退款", team=team_aftersales)
    make_ticket(customer_x, subject="无关", body="无关", team=team_aftersales)
    for user in (lead_zhao, agent_li):
        assert {h.ticket.pk for h in selectors.search_tickets(user, "退款")} == {survivor.pk, gone.pk}
    # A bulk update past the services leaves the merged ticket's search row (and, on PostgreSQL,
    # its team key) in place: only the check through visible_tickets keeps it out of the results.
    Ticket.objects.filter(pk=gone.pk).update(merged_into=survivor)
    for user in (lead_zhao, agent_li):
        assert [h.ticket.pk for h in selectors.search_tickets(user, "退款")] == [survivor.pk]
