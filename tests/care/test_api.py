"""The care API: ticket access rules, bad input, one outcome per callback, no duplicates."""

from __future__ import annotations

from datetime import datetime

import pytest

from kefu.care.models import Callback
from kefu.tickets.models import Ticket
from tests.api.conftest import Api
from tests.clock import SHANGHAI

from .test_callbacks import _solve


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def callback(open_ticket, customer_x, agent_li, team_aftersales, settings):
    settings.KEFU_CARE = {"callback_percent": 100}
    ticket = open_ticket(customer_x, team=team_aftersales)
    _solve(ticket, agent_li, at=datetime(2026, 5, 20, 9, tzinfo=SHANGHAI))
    from kefu.care import services

    services.generate_callbacks(period="2026-05")
    return Callback.objects.get(ticket=ticket)


def test_agent_lists_and_works_a_callback_once(api, callback, agent_li, agent_wang):
    listed = api.get(agent_li, "/care/callbacks")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [callback.pk]
    ok = api.post(agent_li, f"/care/callbacks/{callback.pk}/outcome", {"outcome": "satisfied", "notes": "好"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["outcome"] == "satisfied"
    again = api.post(agent_wang, f"/care/callbacks/{callback.pk}/outcome", {"outcome": "not_reached"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_worked"
    assert Callback.objects.get().outcome == "satisfied"
    assert api.get(agent_li, "/care/callbacks").json() == []
    assert [c["id"] for c in api.get(agent_li, "/care/callbacks?done=true").json()] == [callback.pk]


def test_outcome_outside_the_allowed_set(api, callback, agent_li):
    bad = api.post(agent_li, f"/care/callbacks/{callback.pk}/outcome", {"outcome": "happy"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_outcome" and bad.json()["field"] == "outcome"
    assert api.post(agent_li, f"/care/callbacks/{callback.pk}/outcome", {}).status_code in (400, 422)
    assert Callback.objects.get().outcome == ""


@pytest.mark.fault("A2", "D2")
def test_callback_of_a_ticket_you_cannot_see_is_404(api, callback, agent_tech, customer_x, dept_chen):
    Ticket.objects.filter(pk=callback.ticket_id).update(assignee=None)
    assert api.get(agent_tech, "/care/callbacks").json() == []
    for user in (agent_tech, customer_x.user, dept_chen):
        answer = api.post(user, f"/care/callbacks/{callback.pk}/outcome", {"outcome": "reached"})
        assert answer.status_code == 404
    assert api.post(agent_tech, "/care/callbacks/999999/outcome", {"outcome": "reached"}).status_code == 404
    assert api.get(customer_x.user, "/care/callbacks").status_code == 404
    assert Callback.objects.get().outcome == ""


def test_generation_is_for_supervisors_and_repeats_create_nothing(api, callback, agent_li, lead_zhao):
    assert api.post(agent_li, "/care/callbacks/generate", {"period": "2026-05"}).status_code == 403
    again = api.post(lead_zhao, "/care/callbacks/generate", {"period": "2026-05"})
    assert again.status_code == 200 and again.json() == {"created": 0}
    assert Callback.objects.count() == 1
    bad = api.post(lead_zhao, "/care/callbacks/generate", {"period": "May"})
    assert bad.status_code == 422 and bad.json()["field"] == "period"


def test_callbacks_list_query_count(api, callback, agent_li, django_assert_max_num_queries):
    api.get(agent_li, "/care/callbacks")  # warm the token
    with django_assert_max_num_queries(8):
        assert api.get(agent_li, "/care/callbacks").status_code == 200
