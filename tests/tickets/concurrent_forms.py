"""Browsers for form tests: one logged-in client, and N of them posting one form at once."""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import connection
from django.test import Client


def browser(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def post_at_once(user, url: str, data: dict, n: int) -> list:
    """`n` threads, each its own browser and database connection, POST the same form at once.

    SQLite's in-memory test database (shared cache) refuses concurrent writers outright, unlike
    kefu's file database in WAL mode, which queues them; there the requests take turns.
    """
    cookie = browser(user).cookies[settings.SESSION_COOKIE_NAME].value
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(n if concurrent else 1)
    turn = None if concurrent else threading.Lock()
    answers: list = []

    def send() -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        if turn:
            turn.acquire()
        try:
            barrier.wait()
            answers.append(client.post(url, data))
        finally:
            connection.close()
            if turn:
                turn.release()

    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
