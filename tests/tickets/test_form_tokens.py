"""One-time form tokens (issue 13, FAULTS D1): the same reply or note form sent twice — a double
click, a browser retry, N requests at once — posts one message, and every repeat is answered with
the first result (a redirect to the same message)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kefu.tickets.models import EventKind, MessageKind
from kefu.tickets.states import Status

from .concurrent_forms import browser, post_at_once

REPLY = "您好，退货地址是上海市浦东新区XX路1号，请寄顺丰到付。"


def form_token(client, ticket, testid: str) -> str:
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    form = page.split(f'data-testid="{testid}"')[1].split("</form>")[0]
    return re.search(r'name="token" value="([0-9a-f]{32})"', form).group(1)


@pytest.fixture
def ticket_a(customer_x, team_aftersales, make_ticket):
    return make_ticket(
        customer_x, subject="退货地址是哪里", body="我想退货，请告诉我退货地址。", team=team_aftersales
    )


def replies(ticket, body=REPLY):
    return ticket.messages.filter(kind=MessageKind.PUBLIC, from_customer=False, body_text=body)


@pytest.mark.fault("D1")
def test_the_same_reply_form_posted_twice_makes_one_reply(ticket_a, agent_li):
    li = browser(agent_li)
    token = form_token(li, ticket_a, "reply-form")
    url = reverse("agent:reply", args=[ticket_a.pk])
    first = li.post(url, {"body": REPLY, "token": token, "submit_as": "pending"})
    again = li.post(url, {"body": REPLY, "token": token, "submit_as": "pending"})
    assert first.status_code == again.status_code == 302
    assert again.url == first.url  # the first reply, not a second one
    assert replies(ticket_a).count() == 1
    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.PENDING
    assert ticket_a.events.filter(kind=EventKind.REPLIED).count() == 1
    assert ticket_a.events.filter(field="status", new_value=Status.PENDING).count() == 1
    shown = li.get(again.url).content.decode()
    assert shown.count(REPLY) == 1 and "Reply sent." in shown


@pytest.mark.fault("D1")
def test_the_same_note_form_posted_twice_makes_one_note(ticket_a, agent_li):
    li = browser(agent_li)
    token = form_token(li, ticket_a, "note-form")
    url = reverse("agent:note", args=[ticket_a.pk])
    for _ in range(2):
        assert li.post(url, {"body": "仓库已核实", "token": token}).status_code == 302
    assert ticket_a.messages.filter(kind=MessageKind.INTERNAL, body_text="仓库已核实").count() == 1


def test_each_rendered_form_has_its_own_token(ticket_a, agent_li):
    li = browser(agent_li)
    tokens = {form_token(li, ticket_a, "reply-form"), form_token(li, ticket_a, "reply-form")}
    assert len(tokens) == 2
    url = reverse("agent:reply", args=[ticket_a.pk])
    for token in tokens:  # the same words written twice on purpose, from two loaded pages
        li.post(url, {"body": REPLY, "token": token})
    assert replies(ticket_a).count() == 2


@pytest.mark.fault("D1")
def test_a_used_token_with_another_text_keeps_the_text_and_posts_nothing(ticket_a, agent_li):
    li = browser(agent_li)
    token = form_token(li, ticket_a, "reply-form")
    url = reverse("agent:reply", args=[ticket_a.pk])
    li.post(url, {"body": REPLY, "token": token})
    # "Back", edit, send: the old page still holds the used token.
    edited = li.post(url, {"body": "补充：请在包裹里附上订单号。", "token": token})
    assert edited.status_code == 409
    page = edited.content.decode()
    assert 'data-testid="reply-error"' in page and "already sent with another text" in page
    assert "补充：请在包裹里附上订单号。" in page  # kept in the box
    fresh = re.search(
        r'name="token" value="([0-9a-f]{32})"', page.split('data-testid="reply-form"')[1]
    ).group(1)
    assert fresh != token
    assert li.post(url, {"body": "补充：请在包裹里附上订单号。", "token": fresh}).status_code == 302
    assert replies(ticket_a).count() == 1 and replies(ticket_a, "补充：请在包裹里附上订单号。").count() == 1


def test_a_form_without_a_token_still_posts(ticket_a, agent_li):
    # A page loaded before the upgrade has no token: it works, it just cannot be recognised.
    response = browser(agent_li).post(reverse("agent:reply", args=[ticket_a.pk]), {"body": REPLY})
    assert response.status_code == 302 and replies(ticket_a).count() == 1


def test_a_refused_post_does_not_use_up_the_token(ticket_a, agent_li):
    li = browser(agent_li)
    token = form_token(li, ticket_a, "reply-form")
    url = reverse("agent:reply", args=[ticket_a.pk])
    assert li.post(url, {"body": "   ", "token": token}).status_code == 422
    assert li.post(url, {"body": REPLY, "token": token}).status_code == 302
    assert replies(ticket_a).count() == 1


@pytest.mark.fault("D1")
def test_another_agent_cannot_replay_a_token(ticket_a, agent_li, agent_wang):
    token = form_token(browser(agent_li), ticket_a, "reply-form")
    url = reverse("agent:reply", args=[ticket_a.pk])
    browser(agent_li).post(url, {"body": REPLY, "token": token})
    browser(agent_wang).post(url, {"body": REPLY, "token": token})
    assert sorted(replies(ticket_a).values_list("author__username", flat=True)) == ["agent_li", "agent_wang"]


@pytest.mark.fault("D1")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_reply_form_make_one_reply(ticket_a, agent_li):
    token = form_token(browser(agent_li), ticket_a, "reply-form")
    url = reverse("agent:reply", args=[ticket_a.pk])
    answers = post_at_once(agent_li, url, {"body": REPLY, "token": token}, 10)
    assert [a.status_code for a in answers] == [302] * 10
    assert len({a.url for a in answers}) == 1  # every one shows the same, first reply
    assert replies(ticket_a).count() == 1
    assert ticket_a.events.filter(kind=EventKind.REPLIED).count() == 1


@pytest.mark.fault("D1")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_note_form_make_one_note(ticket_a, agent_li):
    token = form_token(browser(agent_li), ticket_a, "note-form")
    url = reverse("agent:note", args=[ticket_a.pk])
    answers = post_at_once(agent_li, url, {"body": "仓库已核实", "token": token}, 10)
    assert [a.status_code for a in answers] == [302] * 10
    assert ticket_a.messages.filter(kind=MessageKind.INTERNAL, body_text="仓库已核实").count() == 1
