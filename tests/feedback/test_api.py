"""The feedback API: who sees which survey, bad input refused, one answer, forged/replayed links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.feedback import services
from kefu.feedback.models import ProductFeedback, Survey
from tests.api.conftest import Api


@pytest.fixture
def api():
    return Api()


def test_customer_sees_only_their_own_surveys(api, solved, customer_x, customer_y):
    mine = Survey.objects.get(ticket=solved())
    theirs = Survey.objects.get(ticket=solved(customer_y))
    listed = api.get(customer_x.user, "/feedback/surveys")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == [mine.pk]
    assert api.get(customer_x.user, f"/feedback/surveys/{theirs.pk}").status_code == 404
    refused = api.post(customer_x.user, f"/feedback/surveys/{theirs.pk}/answer", {"score": 5})
    assert refused.status_code == 404
    assert Survey.objects.get(pk=theirs.pk).answered_at is None


def test_agents_see_their_teams_surveys(api, solved, agent_li, agent_tech, lead_zhao):
    survey = Survey.objects.get(ticket=solved())
    assert [s["id"] for s in api.get(agent_li, "/feedback/surveys").json()] == [survey.pk]
    assert [s["id"] for s in api.get(lead_zhao, "/feedback/surveys").json()] == [survey.pk]
    from kefu.tickets.models import Ticket

    Ticket.objects.filter(pk=survey.ticket_id).update(assignee=None)
    assert api.get(agent_tech, "/feedback/surveys").json() == []
    assert api.get(agent_tech, f"/feedback/surveys/{survey.pk}").status_code == 404


def test_customer_answers_once(api, solved, customer_x):
    survey = Survey.objects.get(ticket=solved())
    ok = api.post(
        customer_x.user, f"/feedback/surveys/{survey.pk}/answer", {"score": 4, "reasons": ["expertise"]}
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["score"] == 4 and ok.json()["answered_via"] == "api"
    again = api.post(
        customer_x.user, f"/feedback/surveys/{survey.pk}/answer", {"score": 1, "comment": "再来"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered" and again.json()["score"] == 4
    assert Survey.objects.get(pk=survey.pk).score == 4


def test_agent_cannot_answer_for_the_customer(api, solved, agent_li):
    survey = Survey.objects.get(ticket=solved())
    assert api.post(agent_li, f"/feedback/surveys/{survey.pk}/answer", {"score": 5}).status_code == 403
    assert Survey.objects.get(pk=survey.pk).answered_at is None


@pytest.mark.parametrize(
    "body", [{"score": 0}, {"score": 6}, {"score": -3}, {"score": "很好"}, {"score": 3, "reasons": ["x"]}]
)
def test_out_of_range_is_refused_with_a_message(api, solved, customer_x, body):
    survey = Survey.objects.get(ticket=solved())
    bad = api.post(customer_x.user, f"/feedback/surveys/{survey.pk}/answer", body)
    assert bad.status_code == 422, bad.content
    assert bad.json()["code"] == "out_of_range" and bad.json()["message"]
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_link_answer_without_login_forged_expired_replayed(api, solved, fixed_clock):
    survey = Survey.objects.get(ticket=solved())
    token = services.token_for(survey)
    forged = api.post(None, f"/feedback/links/{survey.pk + 1}:{token.split(':', 1)[1]}/answer", {"score": 5})
    assert forged.status_code == 403 and forged.json()["code"] == "bad_link"
    ok = api.post(None, f"/feedback/links/{token}/answer", {"score": 5})
    assert ok.status_code == 200 and ok.json()["answered_via"] == "mail"
    replayed = api.post(None, f"/feedback/links/{token}/answer", {"score": 1})
    assert replayed.status_code == 409 and replayed.json()["code"] == "already_answered"
    later = Survey.objects.get(ticket=solved(subject="第二个"))
    late_token = services.token_for(later)
    fixed_clock.shift(timedelta(days=15))
    expired = api.post(None, f"/feedback/links/{late_token}/answer", {"score": 5})
    assert expired.status_code == 403 and expired.json()["code"] == "expired"
    assert Survey.objects.get(pk=survey.pk).score == 5
    assert Survey.objects.get(pk=later.pk).answered_at is None


def test_product_feedback_tag_and_review(api, solved, agent_li, agent_tech, lead_zhao):
    ticket = solved()
    message = ticket.messages.first()
    tagged = api.post(agent_li, "/feedback/product", {"message_id": message.pk, "area": "delivery"})
    assert tagged.status_code == 200, tagged.content
    bad = api.post(agent_li, "/feedback/product", {"message_id": message.pk, "area": "moon"})
    assert bad.status_code == 422 and bad.json()["field"] == "area"
    from kefu.tickets.models import Ticket

    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    hidden = api.post(agent_tech, "/feedback/product", {"message_id": message.pk, "area": "app"})
    assert hidden.status_code == 404
    item = tagged.json()["id"]
    assert api.post(agent_li, f"/feedback/product/{item}/review", {"accurate": True}).status_code == 403
    ok = api.post(lead_zhao, f"/feedback/product/{item}/review", {"accurate": False})
    assert ok.status_code == 200 and ok.json()["review"] == "inaccurate"
    assert ProductFeedback.objects.get().reviewed_by_id == lead_zhao.pk
