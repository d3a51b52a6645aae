"""The duplicate window for API POSTs sent without an Idempotency-Key (FAULTS A3, issue 13): it is
claimed in the database, so concurrent identical posts make one message whatever the cache (the
file cache of embedded mode let ten concurrent replies make three), and anonymous callers are told
apart by address and visitor cookie, so one visitor never gets another's stored answer."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection
from django.test import Client

from kefu.core.models import IdempotencyRecord
from kefu.tickets.models import Message
from tests.core.live import live_template, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.fault("A3")

QUESTION = {"question": "发票怎么开？"}


@pytest.fixture
def embedded_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }


# Bursts of identical replies, each with a text of its own: the file cache's race is narrow.
ROUNDS = 5
SERVER_ROUNDS = 20


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_replies_without_a_key_make_one_message(api, embedded_cache, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    token = api.token(customer_x.user)
    # SQLite's in-memory test database refuses concurrent writers; the real-server test below
    # sends them at once to kefu's WAL file. PostgreSQL takes them all at once here.
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(10 if concurrent else 1)
    turn = contextlib.nullcontext() if concurrent else threading.Lock()

    def send(text: str):
        with turn:
            barrier.wait()
            try:
                return Client().post(
                    f"/api/tickets/{ticket.pk}/replies",
                    {"body": text},
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                )
            finally:
                connection.close()

    for n in range(ROUNDS):
        text = f"还在吗？({n})"
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(send, [text] * 10))
        assert Message.objects.filter(ticket=ticket, body_text=text).count() == 1
        assert {a.status_code for a in answers} <= {201, 409}
        created = [a.json() for a in answers if a.status_code == 201]
        assert created and all(body == created[0] for body in created)


def test_concurrent_replies_on_a_real_embedded_server_make_one_message(live_template, tmp_path):  # noqa: F811
    unlimited = {"KEFU_API_RATE": "100000/60", "KEFU_API_RATE_PER_IP": "100000/60"}
    with serving(live_template, tmp_path, **unlimited) as server:
        auth = {"Authorization": f"Bearer {server.customer_token}"}
        path = f"/api/tickets/{server.ticket_id}/replies"
        barrier = threading.Barrier(20)
        clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(20)]

        def send(job: tuple[httpx.Client, str]) -> httpx.Response:
            client, text = job
            barrier.wait()
            return client.post(path, json={"body": text}, headers=auth)

        texts = [f"还在吗？({n})" for n in range(SERVER_ROUNDS)]
        for text in texts:
            with ThreadPoolExecutor(len(clients)) as pool:
                answers = list(pool.map(send, [(c, text) for c in clients]))
            assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
        for client in clients:
            client.close()
        ticket = httpx.get(f"{server.url}/api/tickets/{server.ticket_id}", headers=auth, timeout=30).json()
        posted = [m["body_text"] for m in ticket["messages"]]
        assert [posted.count(text) for text in texts] == [1] * SERVER_ROUNDS


def test_two_anonymous_visitors_asking_the_same_get_their_own_answers(db):
    first = Client(REMOTE_ADDR="198.51.100.1").post(
        "/api/kb/answer", QUESTION, content_type="application/json"
    )
    second = Client(REMOTE_ADDR="198.51.100.2").post(
        "/api/kb/answer", QUESTION, content_type="application/json"
    )
    assert first.status_code == second.status_code == 200
    assert second.json()["session"] != first.json()["session"]
    assert second.json()["question_id"] != first.json()["question_id"]


def test_visitors_behind_one_address_are_told_apart_by_their_cookie(db):
    office = [Client(REMOTE_ADDR="198.51.100.7"), Client(REMOTE_ADDR="198.51.100.7")]
    for n, visitor in enumerate(office):  # each gets its visitor cookie with a first question
        visitor.post("/api/kb/answer", {"question": f"第 {n} 个问题"}, content_type="application/json")
    assert office[0].cookies["kefu_visitor"].value != office[1].cookies["kefu_visitor"].value
    answers = [v.post("/api/kb/answer", QUESTION, content_type="application/json").json() for v in office]
    assert answers[0]["session"] != answers[1]["session"]
    # The same visitor repeating itself within the window gets its first answer again.
    again = office[0].post("/api/kb/answer", QUESTION, content_type="application/json").json()
    assert again == answers[0]


def test_after_the_window_the_same_reply_posts_again_and_the_old_claim_goes(
    api, customer_x, make_ticket, fixed_clock
):
    ticket = make_ticket(customer_x)
    path = f"/tickets/{ticket.pk}/replies"
    before = Message.objects.filter(ticket=ticket).count()
    api.post(customer_x.user, path, {"body": "还在吗？"})
    assert IdempotencyRecord.objects.filter(scope=f"window:api:{customer_x.user.pk}").count() == 1
    fixed_clock.shift(11)  # past the 10-second window
    api.post(customer_x.user, path, {"body": "还在吗？"})
    assert Message.objects.filter(ticket=ticket).count() == before + 2
    assert IdempotencyRecord.objects.filter(scope=f"window:api:{customer_x.user.pk}").count() == 1
