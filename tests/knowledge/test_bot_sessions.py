"""Bot conversations belong to whoever started them (issue 13 item 3; FAULTS A2, D2, X2).

`POST /api/kb/answer` used to take any `session` the caller made up and answer with that
session's context and transcript, so anyone who knew or guessed an id read another customer's
conversation, and a hand-off with another customer's token filed it on their ticket. Now kefu
issues the session (random, signed, bound to the caller); anything else starts a fresh one.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from kefu.accounts.services import create_api_token
from kefu.core.clock import now
from kefu.knowledge.models import BotQuestion
from kefu.tickets.models import Ticket

HX = {"HTTP_HX_REQUEST": "true"}
REFUND = "退款多久能到账？"
FOLLOW_UP = "那要多久呢？"  # means nothing on its own; after REFUND it is the refund-time article


@pytest.fixture(autouse=True)
def _roomy(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    settings.KEFU_KB_ANON_RATE = "10000/3600"


class Caller:
    """One party with its own browser (cookies) and, if given a user, an API token."""

    def __init__(self, user=None) -> None:
        self.client = Client()
        self.headers = {}
        if user is not None:
            self.headers["Authorization"] = f"Bearer {create_api_token(user=user, name='tests')[1]}"

    def ask(self, question, session=None):
        body = {"question": question, "language": "zh-hans"}
        if session is not None:
            body["session"] = session
        response = self.client.post(
            "/api/kb/answer", json.dumps(body), content_type="application/json", headers=self.headers
        )
        assert response.status_code == 200, response.content
        return response.json()


def _asked(answer):
    return [line["text"] for line in answer["transcript"] if line["who"] == "customer"]


def _handoff_ticket(answer):
    assert answer["decision"] == "handoff" and answer["ticket_number"], answer
    return next(t for t in Ticket.objects.all() if t.number == answer["ticket_number"])


# ----------------------------------------------------------------- someone else's session id


@pytest.mark.fault("D2")
def test_a_session_id_the_caller_names_opens_nobody_elses_conversation(kb, customer_x, customer_y):
    """The probe's attack: customer A names her session; whoever names it too got her conversation."""
    mine = Caller(customer_x.user).ask(REFUND, session="conv-1")  # an old client naming its own id
    follow = Caller().ask(FOLLOW_UP, session="conv-1")
    assert follow["decision"] != "answer" and REFUND not in json.dumps(follow, ensure_ascii=False)
    handoff = Caller(customer_y.user).ask("转人工", session="conv-1")
    ticket = _handoff_ticket(handoff)
    assert ticket.customer == customer_y and _asked(handoff) == ["转人工"]
    assert REFUND not in ticket.messages.get().body_text
    assert mine["session"] and mine["session"] != "conv-1"  # kefu issues the id to send next time


def test_an_anonymous_caller_with_a_customers_session_gets_a_fresh_one(kb, customer_x):
    first = Caller(customer_x.user).ask(REFUND)
    stranger = Caller()
    follow = stranger.ask(FOLLOW_UP, session=first["session"])
    # no follow-up resolved from the customer's refund question, and a session of their own
    assert follow["decision"] != "answer", follow
    assert follow["session"] and follow["session"] != first["session"]
    human = stranger.ask("转人工", session=first["session"])
    assert human["decision"] == "handoff" and _asked(human) == ["转人工"]
    assert REFUND not in json.dumps([follow, human], ensure_ascii=False)
    assert not Ticket.objects.exists()


def test_one_visitors_session_is_useless_to_another_visitor(kb):
    visitor = Caller()
    first = visitor.ask(REFUND)
    assert visitor.client.cookies["kefu_visitor"].value  # anonymous callers are told apart by it
    other = Caller()
    human = other.ask("转人工", session=first["session"])
    assert _asked(human) == ["转人工"]
    # the visitor who owns it still has the conversation
    assert visitor.ask(FOLLOW_UP, session=first["session"])["articles"][0]["external_id"] == "refund-time"


@pytest.mark.fault("D2")
def test_another_customers_token_cannot_file_a_conversation_on_their_ticket(kb, customer_x, customer_y):
    a, b = Caller(customer_x.user), Caller(customer_y.user)
    one = a.ask("怎么查物流")
    two = a.ask("怎么开发票", session=one["session"])
    handoff = b.ask("转人工", session=two["session"])
    ticket = _handoff_ticket(handoff)
    assert ticket.customer == customer_y and _asked(handoff) == ["转人工"]
    body = "\n".join(ticket.messages.values_list("body_text", flat=True))
    assert "怎么查物流" not in body and "怎么开发票" not in body and "转人工" in body
    assert not Ticket.objects.filter(customer=customer_x).exists()
    # the customer's own hand-off still carries their whole conversation, and nothing of B's
    own = _handoff_ticket(a.ask("我要人工客服", session=two["session"]))
    assert own.customer == customer_x
    text = own.messages.get().body_text
    assert text.index("怎么查物流") < text.index("怎么开发票") < text.index("我要人工客服")
    assert "转人工" not in text


def _flip(s: str, at: int) -> str:
    return s[:at] + ("A" if s[at] != "A" else "B") + s[at + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: _flip(t, len(t) - 1), id="signature"),
        pytest.param(lambda t: _flip(t, 5), id="session-key"),
        pytest.param(lambda t: t.rsplit(":", 1)[0], id="signature-dropped"),
        pytest.param(lambda t: t.split(":", 1)[0], id="bare-key"),
    ],
)
def test_a_tampered_session_starts_afresh(kb, customer_x, tamper):
    a = Caller(customer_x.user)
    first = a.ask(REFUND)
    forged = tamper(first["session"])
    follow = a.ask(FOLLOW_UP, session=forged)
    assert follow["decision"] != "answer" and follow["session"] not in (forged, first["session"])
    handoff = a.ask("转人工", session=forged)
    assert _asked(handoff) == ["转人工"]
    assert REFUND not in _handoff_ticket(handoff).messages.get().body_text


# ----------------------------------------------------------------- one's own conversation


def test_a_customers_follow_up_works_across_requests_with_the_returned_session(kb, customer_x):
    a = Caller(customer_x.user)
    first = a.ask(REFUND)
    follow = a.ask(FOLLOW_UP, session=first["session"])
    assert follow["decision"] == "answer" and follow["articles"][0]["external_id"] == "refund-time"
    handoff = a.ask("转人工", session=follow["session"])
    assert _asked(handoff) == [REFUND, FOLLOW_UP, "转人工"]
    body = _handoff_ticket(handoff).messages.get().body_text
    assert body.index(REFUND) < body.index(FOLLOW_UP) < body.index("转人工")
    assert BotQuestion.objects.filter(customer=customer_x).values("session").distinct().count() == 1


def test_a_conversation_idle_for_more_than_a_day_is_over(kb, customer_x):
    a = Caller(customer_x.user)
    with time_machine.travel(now(), tick=False) as clock:
        first = a.ask("怎么查物流")
        clock.shift(timedelta(hours=20))
        second = a.ask("怎么开发票", session=first["session"])  # still alive; its idle time restarts
        clock.shift(timedelta(hours=20))
        third = a.ask("忘记密码怎么办", session=second["session"])
        clock.shift(timedelta(hours=25))
        late = a.ask("转人工", session=third["session"])
    assert len(set(BotQuestion.objects.exclude(question="转人工").values_list("session", flat=True))) == 1
    assert _asked(late) == ["转人工"] and late["session"] != third["session"]
    body = _handoff_ticket(late).messages.get().body_text
    assert "怎么查物流" not in body and "忘记密码" not in body


def test_the_api_documents_what_session_means(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    sent, returned = (
        schemas["AnswerIn"]["properties"]["session"],
        schemas["AnswerOut"]["properties"]["session"],
    )
    assert "issued by kefu" in sent["description"] and "fresh conversation" in sent["description"]
    assert "send it as `session`" in returned["description"]


# ----------------------------------------------------------------- the help centre (/help/)


def _help_ask(client, question="", **data):
    return client.post(
        "/help/ask/", {"question": question, **data}, HTTP_ACCEPT_LANGUAGE="zh-hans", **HX
    ).content.decode()


def test_the_help_centre_gives_each_browser_a_signed_visitor_cookie(kb):
    browser = Client()
    cookie = browser.get("/help/").cookies["kefu_visitor"]
    assert cookie.value and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "kefu_visitor" not in browser.get("/help/").cookies  # kept, not replaced on every page
    forged = Client()
    forged.cookies["kefu_visitor"] = "made-up-visitor-id-0123456789"
    assert forged.get("/help/").cookies["kefu_visitor"].value != "made-up-visitor-id-0123456789"


def test_the_help_centre_bot_follows_up_suggests_and_hands_off_a_signed_in_customer(client, kb, customer_x):
    client.force_login(customer_x.user)
    client.get("/help/")
    answered = _help_ask(client, REFUND)
    assert 'data-decision="answer"' in answered and "1-3 个工作日到账" in answered
    follow = _help_ask(client, FOLLOW_UP)  # 那要多久呢？ follows the refund question
    assert 'data-decision="answer"' in follow and "1-3 个工作日到账" in follow
    unsure = _help_ask(client, "那专票呢？")  # did you mean …
    assert 'data-decision="suggest"' in unsure and 'data-testid="bot-suggestions"' in unsure
    assert "如何开具发票" in unsure and 'data-testid="bot-human"' in unsure
    handoff = _help_ask(client, human="1")
    assert 'data-decision="handoff"' in handoff and 'data-testid="bot-ticket"' in handoff
    ticket = Ticket.objects.get(customer=customer_x)
    assert ticket.number in handoff and f'href="/portal/tickets/{ticket.pk}/"' in handoff
    body = ticket.messages.get().body_text
    assert body.index(REFUND) < body.index(FOLLOW_UP) < body.index("那专票呢？") < body.index("转人工")
    page = client.get("/help/").content.decode()
    assert page.count('data-testid="bot-turn"') == 4 and ticket.number in page


def test_a_visitor_who_signs_in_hands_off_what_they_asked_before(client, kb, customer_x):
    _help_ask(client, "怎么退货")
    client.force_login(customer_x.user)
    html = _help_ask(client, human="1")
    assert 'data-testid="bot-ticket"' in html
    body = Ticket.objects.get(customer=customer_x).messages.get().body_text
    assert body.index("怎么退货") < body.index("转人工")
    # another browser of the same customer does not see this browser's visitor questions
    other = Client()
    other.force_login(customer_x.user)
    html = _help_ask(other, "我要投诉")
    assert 'data-decision="handoff"' in html and 'data-testid="bot-ticket"' in html
    latest = Ticket.objects.filter(customer=customer_x).order_by("pk").last().messages.order_by("pk").last()
    assert "我要投诉" in latest.body_text and "怎么退货" not in latest.body_text
