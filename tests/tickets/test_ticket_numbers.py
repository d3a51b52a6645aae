"""Ticket numbers typed by people: ASCII and full-width digits only; anything else is "not a number",
never a 500 (issue 13: `³`, `²`, `¹`, `①`, `KF-²` crashed search, link and merge)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from kefu.tickets.errors import TicketNotFound
from kefu.tickets.models import parse_number
from kefu.tickets.selectors import access_ticket

NOT_ASCII_DIGITS = ["³", "²", "¹", "①", "KF-²", "KF-³²¹", "٣", "१२३", "𝟏𝟐", "1_0", "+1", "Ⅻ"]
FULL_WIDTH = str.maketrans("０１２３４５６７８９ＫＦｋｆ－＃", "0123456789KFkf-#")
# The whole grammar, written out independently of the code: spaces, "#"s, an optional "KF-", 1 to 11
# digits, each character ASCII or its full-width twin.
GRAMMAR = re.compile(r"\s*[#＃]*(?:[KkＫｋ][FfＦｆ][-－])?([0-9０-９]{1,11})\s*")


def browser(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@given(
    st.one_of(
        st.text(), st.from_regex(GRAMMAR, fullmatch=True), st.text(alphabet="0123456789³²¹①٣０１２KF-#")
    )
)
@example("³")
@example("KF-²")
@example("①")
@example("ＫＦ－０００１２３")
def test_parse_number_never_raises_and_reads_only_ascii_or_full_width_digits(text):
    number = parse_number(text)
    match = GRAMMAR.fullmatch(text)
    if match is None:
        assert number is None
    else:
        assert number == int(match.group(1).translate(FULL_WIDTH))


def test_the_usual_spellings_of_a_number():
    assert parse_number("KF-000123") == parse_number("kf-123") == parse_number("#123") == 123
    assert parse_number(" １２３ ") == parse_number("ＫＦ－０００１２３") == 123
    for text in NOT_ASCII_DIGITS:
        assert parse_number(text) is None, text


def test_a_typed_number_in_other_digits_reaches_no_ticket(ticket_a, agent_li):
    # int("٣") is 3 and int("1_0") is 10; a form value goes through parse_number instead.
    assert access_ticket(agent_li, str(ticket_a.pk)) == ticket_a
    arabic = str(ticket_a.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(TicketNotFound):
        access_ticket(agent_li, arabic)


@pytest.fixture
def ticket_a(customer_x, team_aftersales, make_ticket):
    return make_ticket(customer_x, subject="退货地址是哪里 ³", team=team_aftersales)


@pytest.mark.parametrize("query", NOT_ASCII_DIGITS)
def test_agent_search_with_other_digits_is_a_text_search(query, ticket_a, agent_li):
    response = browser(agent_li).get(reverse("agent:search"), {"q": query})
    assert response.status_code == 200


def test_agent_search_by_full_width_number_finds_the_ticket(ticket_a, agent_li):
    wide = f"ＫＦ－{ticket_a.pk:06d}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = browser(agent_li).get(reverse("agent:search"), {"q": wide})
    assert response.status_code == 200 and ticket_a.subject in response.content.decode()


@pytest.mark.parametrize("name,field", [("agent:link", "to"), ("agent:merge", "into")])
@pytest.mark.parametrize("typed", ["³", "KF-²", "①"])
def test_link_and_merge_forms_say_the_number_is_invalid(name, field, typed, ticket_a, agent_li):
    response = browser(agent_li).post(reverse(name, args=[ticket_a.pk]), {field: typed})
    assert response.status_code == 422
    assert f"No ticket {typed} that you can see." in response.content.decode()
    ticket_a.refresh_from_db()
    assert ticket_a.merged_into_id is None and not ticket_a.links_out.exists()


def test_queue_filters_and_form_versions_in_other_digits_are_refused_not_500(ticket_a, agent_li):
    li = browser(agent_li)
    queue = li.get(reverse("agent:queue"), {"team": "³"}, headers={"Accept": "application/json"})
    assert queue.status_code == 422 and queue.json()["field"] == "team"
    saved = li.post(reverse("agent:update", args=[ticket_a.pk]), {"version": "¹", "priority": "high"})
    assert saved.status_code == 422 and "reload the page" in saved.content.decode()
    assigned = li.post(
        reverse("agent:update", args=[ticket_a.pk]), {"version": ticket_a.version, "assignee": "²"}
    )
    assert assigned.status_code == 422 and "Unknown choice." in assigned.content.decode()
    ticket_a.refresh_from_db()
    assert ticket_a.priority == "normal" and ticket_a.assignee is None


def test_portal_close_with_an_odd_version_is_not_a_500(ticket_a, customer_x):
    response = browser(customer_x.user).post(
        reverse("portal:status", args=[ticket_a.pk]), {"to": "closed", "version": "³"}
    )
    assert response.status_code == 302
    ticket_a.refresh_from_db()
    assert ticket_a.status == "closed"
