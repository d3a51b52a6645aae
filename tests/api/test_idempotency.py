"""Idempotency-Key on POST and the duplicate window without one (FAULTS A3)."""

import json
import threading

import pytest
from django.db import connection

from kefu.core import idempotency
from kefu.core.models import IdempotencyRecord
from kefu.tickets.models import Message, Ticket

NEW = {"subject": "快递显示已签收但我没收到", "body": "快递单号 SF123，显示签收了，但我没有收到包裹。"}


@pytest.mark.fault("A3")
def test_same_key_same_body_replays_the_first_201_and_creates_nothing(api, customer_x):
    first = api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "k-1"})
    again = api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.fault("A3")
def test_same_key_different_body_is_422(api, customer_x):
    api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "k-2"})
    other = api.post(
        customer_x.user, "/tickets", {**NEW, "body": "另一件事"}, headers={"Idempotency-Key": "k-2"}
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["field"] == "Idempotency-Key"
    assert Ticket.objects.count() == 1


@pytest.mark.fault("A3")
def test_keys_belong_to_one_user(api, customer_x, customer_y):
    api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "shared"})
    theirs = api.post(customer_y.user, "/tickets", NEW, headers={"Idempotency-Key": "shared"})
    assert theirs.status_code == 201
    assert theirs.json()["customer"]["id"] == customer_y.pk
    assert Ticket.objects.count() == 2


@pytest.mark.fault("A3")
def test_a_failed_request_does_not_burn_the_key(api, customer_x):
    bad = api.post(customer_x.user, "/tickets", {**NEW, "subject": "   "}, headers={"Idempotency-Key": "k-3"})
    assert bad.status_code == 422
    good = api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "k-3"})
    assert good.status_code == 201


@pytest.mark.fault("A3")
def test_reply_with_key_posts_one_message(api, ticket_x, customer_x):
    path = f"/tickets/{ticket_x.pk}/replies"
    before = Message.objects.filter(ticket=ticket_x).count()
    for _ in range(3):
        response = api.post(customer_x.user, path, {"body": "请尽快处理"}, headers={"Idempotency-Key": "r-1"})
        assert response.status_code == 201
    assert Message.objects.filter(ticket=ticket_x).count() == before + 1


@pytest.mark.fault("A3")
def test_without_a_key_the_same_body_within_the_window_is_one_message(api, ticket_x, customer_x):
    path = f"/tickets/{ticket_x.pk}/replies"
    before = Message.objects.filter(ticket=ticket_x).count()
    first = api.post(customer_x.user, path, {"body": "还在吗？"})
    repeat = api.post(customer_x.user, path, {"body": "还在吗？"})
    different = api.post(customer_x.user, path, {"body": "请回复我"})
    assert first.status_code == repeat.status_code == different.status_code == 201
    assert repeat.json() == first.json()
    assert Message.objects.filter(ticket=ticket_x).count() == before + 2


@pytest.mark.fault("A3")
def test_after_the_window_the_same_body_posts_again(api, ticket_x, customer_x, settings):
    settings.KEFU_API_DUPLICATE_WINDOW = 0.01
    path = f"/tickets/{ticket_x.pk}/replies"
    before = Message.objects.filter(ticket=ticket_x).count()
    api.post(customer_x.user, path, {"body": "还在吗？"})
    import time

    time.sleep(0.05)
    api.post(customer_x.user, path, {"body": "还在吗？"})
    assert Message.objects.filter(ticket=ticket_x).count() == before + 2


@pytest.mark.fault("A3")
def test_too_long_key_is_422(api, customer_x):
    response = api.post(customer_x.user, "/tickets", NEW, headers={"Idempotency-Key": "k" * 300})
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


@pytest.mark.fault("A3")
def test_a_repeat_while_the_first_is_still_running_answers_409_in_progress(api, customer_x, rf, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.1)
    body = json.dumps(NEW)
    running = rf.post("/api/tickets", data=body, content_type="application/json")
    IdempotencyRecord.objects.create(
        scope=f"api:{customer_x.user.pk}", key="busy", fingerprint=idempotency.fingerprint(running)
    )
    response = api.post(customer_x.user, "/tickets", raw=body, headers={"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert Ticket.objects.count() == 0


@pytest.mark.fault("A3")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_requests_with_one_key_make_one_ticket(api, customer_x):
    token = api.token(customer_x.user)
    statuses, bodies = [], []
    # SQLite's in-memory test database (shared cache) refuses concurrent writers outright, unlike
    # kefu's file database in WAL mode, which queues them; there the requests take turns.
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(10 if concurrent else 1)
    turn = threading.Lock() if not concurrent else None

    def send():
        from django.test import Client

        if turn:
            turn.acquire()
        barrier.wait()
        try:
            response = Client().post(
                "/api/tickets",
                NEW,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "burst"},
            )
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()
            if turn:
                turn.release()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}, statuses
    created = [b for s, b in zip(statuses, bodies, strict=True) if s == 201]
    assert all(b == created[0] for b in created)
