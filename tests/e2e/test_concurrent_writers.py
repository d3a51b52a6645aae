"""FAULTS D1 against the real server (uvicorn + SQLite in WAL mode): concurrent writers.

Two agents save the same ticket at once, many replies land at once, and a double-clicked "Send"
repeats one Idempotency-Key: one edit wins and the others get 409, every reply is stored once, and
SQLite never surfaces "database is locked" as a 500.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "kefu-e2e-2026"


def login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/accounts/login/")
    page = client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
    )
    assert page.status_code in (200, 302) and "sessionid" in client.cookies, page.text[:300]
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


@pytest.fixture(scope="module")
def clients(server):
    made = {name: login(server, name) for name in ("customer_x", "agent_li", "agent_wang")}
    yield made
    for c in made.values():
        c.close()


@pytest.fixture
def ticket(clients):
    created = clients["customer_x"].post(
        "/api/tickets", json={"subject": f"并发测试 {uuid.uuid4().hex[:6]}", "body": "两个客服同时处理"}
    )
    assert created.status_code == 201, created.text
    return created.json()


@pytest.mark.fault("D1")
def test_one_of_ten_simultaneous_edits_wins(clients, ticket):
    agents = [clients["agent_li"], clients["agent_wang"]]
    priorities = ["low", "high", "urgent", "low", "high", "urgent", "low", "high", "urgent", "low"]

    def save(i: int) -> httpx.Response:
        return agents[i % 2].patch(
            f"/api/tickets/{ticket['id']}", json={"version": ticket["version"], "priority": priorities[i]}
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(save, range(10)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1 and codes.count(409) == 9, codes
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["code"] == "stale_version" and ("李娜" in loser["message"] or "王芳" in loser["message"])
    events = clients["agent_li"].get(f"/api/tickets/{ticket['id']}/events").json()
    assert [e["field"] for e in events].count("priority") == 1  # no gaps, no duplicates


@pytest.mark.fault("D1")
def test_twenty_simultaneous_replies_are_all_stored_once(clients, ticket):
    agents = [clients["agent_li"], clients["agent_wang"]]

    def send(i: int) -> httpx.Response:
        return agents[i % 2].post(f"/api/tickets/{ticket['id']}/replies", json={"body": f"第 {i} 条回复"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, range(20)))
    assert [a.status_code for a in answers] == [201] * 20, [
        a.text[:200] for a in answers if a.status_code != 201
    ]
    detail = clients["agent_li"].get(f"/api/tickets/{ticket['id']}").json()
    bodies = [m["body_text"] for m in detail["messages"]]
    assert sorted(b for b in bodies if b.startswith("第 ")) == sorted(f"第 {i} 条回复" for i in range(20))


@pytest.mark.fault("A3", "D1")
def test_double_clicked_send_posts_one_reply(clients, ticket):
    key = uuid.uuid4().hex
    agent = clients["agent_wang"]

    def send(_: int) -> httpx.Response:
        return agent.post(
            f"/api/tickets/{ticket['id']}/replies",
            json={"body": "您好，已为您处理。"},
            headers={"Idempotency-Key": key},
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(send, range(2))
    assert first.status_code == 201 and second.status_code in (201, 409), (first.text, second.text)
    detail = agent.get(f"/api/tickets/{ticket['id']}").json()
    assert [m["body_text"] for m in detail["messages"]].count("您好，已为您处理。") == 1
