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


def test_supervisors_see_the_months_key_customer_list_with_its_touch_rate(
    client, complaint, customer_x, customer_y, lead_zhao, agent_li
):
    complaint(customer_x)
    complaint(customer_y, order="YS20260601000999")
    keycare.generate(period="2026-06")
    task = CareTask.objects.get(customer=customer_x)
    client.force_login(lead_zhao)
    client.post(f"/agent/care/tasks/{task.pk}/", {"outcome": "satisfied", "notes": "已回访"})

    page = client.get("/agent/care/tasks/?period=2026-06", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    listed = page.split('data-testid="key-customers"', 1)[1]
    assert customer_x.name in listed and customer_y.name in listed
    summary = page.split('data-testid="touch-summary"', 1)[1].split("</div>", 1)[0]
    assert "2 on the list · 1 reached" in summary
    # one of the two complainers reached: the registry's touch_rate for June
    assert '<strong data-testid="touch-rate">50.0 %</strong>' in summary
    # agents work their tasks but do not get the list
    client.force_login(agent_li)
    assert (
        'data-testid="key-customers"' not in client.get("/agent/care/tasks/?period=2026-06").content.decode()
    )
