"""The portal's forms that create things — a reply, a new request — carry a one-time token: the same
form sent again, or N times at once, makes one message or one ticket (issue 13, FAULTS D1/A3)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kefu.tickets.models import Message, Ticket
from tests.tickets.concurrent_forms import browser, post_at_once

TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')


def token_on(client, url: str) -> str:
    return TOKEN.search(client.get(url).content.decode()).group(1)


@pytest.fixture
def ticket(customer_x, make_ticket):
    return make_ticket(customer_x, subject="快递显示已签收但我没收到")


def test_a_used_token_with_another_text_keeps_the_text_and_posts_nothing(ticket, customer_x):
    x = browser(customer_x.user)
    token = token_on(x, reverse("portal:ticket", args=[ticket.pk]))
    url = reverse("portal:reply", args=[ticket.pk])
    assert x.post(url, {"body": "快递单号 SF123", "token": token}).status_code == 302
    edited = x.post(url, {"body": "快递单号 SF456，刚才写错了", "token": token})
    assert edited.status_code == 409
    page = edited.content.decode()
    assert "already sent with another text" in page and "快递单号 SF456，刚才写错了" in page
    fresh = TOKEN.search(page).group(1)
    assert fresh != token
    assert x.post(url, {"body": "快递单号 SF456，刚才写错了", "token": fresh}).status_code == 302
    bodies = list(ticket.messages.filter(from_customer=True).values_list("body_text", flat=True))
    assert bodies.count("快递单号 SF123") == 1 and bodies.count("快递单号 SF456，刚才写错了") == 1


@pytest.mark.fault("D1")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_reply_form_make_one_reply(ticket, customer_x):
    token = token_on(browser(customer_x.user), reverse("portal:ticket", args=[ticket.pk]))
    url = reverse("portal:reply", args=[ticket.pk])
    answers = post_at_once(customer_x.user, url, {"body": "还在吗？请尽快回复", "token": token}, 10)
    assert [a.status_code for a in answers] == [302] * 10
    assert Message.objects.filter(ticket=ticket, body_text="还在吗？请尽快回复").count() == 1


@pytest.mark.fault("D1")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_new_request_form_make_one_ticket(customer_x):
    token = token_on(browser(customer_x.user), reverse("portal:new"))
    form = {
        "subject": "杯子碎了",
        "description": "收到的杯子是碎的，想退货。",
        "type": "after_sales",
        "token": token,
    }
    answers = post_at_once(customer_x.user, reverse("portal:new"), form, 10)
    assert [a.status_code for a in answers] == [302] * 10
    assert Ticket.objects.filter(subject="杯子碎了").count() == 1
    assert len({a.url for a in answers}) == 1  # every answer shows the one request
