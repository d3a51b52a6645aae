"""The agent pages: callbacks and care tasks worked from a list."""

from __future__ import annotations

from datetime import datetime

import pytest

from kefu.care import keycare, services
from kefu.care.models import Callback, CareTask
from kefu.tickets.models import Ticket
from kefu.tickets.states import Status
from tests.clock import SHANGHAI

from .test_callbacks import _solve

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def callback(open_ticket, customer_x, agent_li, team_aftersales, settings):
    settings.KEFU_CARE = {"callback_percent": 100}
    ticket = open_ticket(customer_x, team=team_aftersales)
    _solve(ticket, agent_li, at=datetime(2026, 5, 20, 9, tzinfo=SHANGHAI))
    services.generate_callbacks(period="2026-05")
    return Callback.objects.get(ticket=ticket)


def test_callback_list_is_worked_from_the_keyboard(client, callback, agent_li):
    client.force_login(agent_li)
    page = client.get("/agent/care/").content.decode()
    assert callback.ticket.number in page
    assert "autofocus" in page and 'accesskey="4"' in page
    answer = client.post(
        f"/agent/care/callbacks/{callback.pk}/", {"outcome": "problem_persists", "notes": "仍坏"}
    )
    assert answer.status_code == 302
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.OPEN
    again = client.post(f"/agent/care/callbacks/{callback.pk}/", {"outcome": "reached"}, follow=True)
    assert "already has an outcome" in again.content.decode()
    assert Callback.objects.get().outcome == "problem_persists"


def test_callback_pages_are_for_agents_who_see_the_ticket(client, callback, agent_tech, customer_x):
    Ticket.objects.filter(pk=callback.ticket_id).update(assignee=None)
    client.force_login(agent_tech)
    assert callback.ticket.number not in client.get("/agent/care/").content.decode()
    client.post(f"/agent/care/callbacks/{callback.pk}/", {"outcome": "reached"})
    assert Callback.objects.get().outcome == ""
    client.force_login(customer_x.user)
    assert client.get("/agent/care/").status_code == 404


def test_care_tasks_page(client, complaint, customer_x, lead_zhao):
    complaint(customer_x)
    keycare.generate(period="2026-06")
    client.force_login(lead_zhao)
    page = client.get("/agent/care/tasks/?period=2026-06").content.decode()
    assert customer_x.name in page
    task = CareTask.objects.get()
    answer = client.post(
        f"/agent/care/tasks/{task.pk}/", {"outcome": "satisfied", "service_matched": "yes", "notes": "好"}
    )
    assert answer.status_code == 302 and answer["Location"].endswith("?period=2026-06")
    task.refresh_from_db()
    assert (task.outcome, task.service_matched) == ("satisfied", True)
    assert client.get("/agent/care/tasks/?period=nonsense").status_code == 200
