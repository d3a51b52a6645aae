"""`GET /api/tickets/search?q=³` and other digits that are not ASCII: a text search, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest


@pytest.fixture
def ticket(customer_x, team_aftersales, make_ticket):
    return make_ticket(customer_x, subject="耳机右边没有声音 ²", team=team_aftersales)


@pytest.mark.fault("A1")
@pytest.mark.parametrize("query", ["³", "²", "¹", "①", "KF-²", "#³", "٣"])
def test_search_with_other_digits_answers_200(api, agent_li, ticket, query):
    response = api.get(agent_li, f"/tickets/search?q={quote(query)}")
    assert response.status_code == 200
    assert all(hit["ticket"]["id"] != 0 for hit in response.json())


def test_search_with_a_full_width_number_finds_the_ticket(api, customer_x, ticket):
    wide = f"KF-{ticket.pk:06d}".translate(str.maketrans("0123456789KF-", "０１２３４５６７８９ＫＦ－"))
    response = api.get(customer_x.user, f"/tickets/search?q={quote(wide)}")
    assert response.status_code == 200
    assert [hit["ticket"]["id"] for hit in response.json()] == [ticket.pk]
