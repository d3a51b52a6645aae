"""The quality API: reviews, acknowledgements, disputes, scorecards, with their documented 4xx."""

from __future__ import annotations

import pytest

from kefu.quality import services
from kefu.quality.models import Review
from tests.api.conftest import Api

from .conftest import ITEMS, full_marks, item_ids


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return Api()


def test_review_flow_through_the_api(api, scorecard, qa_sun, agent_li, agent_wang, lead_zhao, solved_ticket):
    ticket = solved_ticket(agent_li, replies=("没办法。",))
    opened = api.post(qa_sun, "/quality/reviews", {"ticket_id": ticket.pk})
    assert opened.status_code == 200, opened.content
    body = opened.json()
    assert {c["kind"] for c in body["checks"]} == {"forbidden", "no_greeting", "no_closing"}
    review_id = body["id"]
    a, b, c, d = item_ids(scorecard)
    incomplete = api.call(
        qa_sun, "PUT", f"/quality/reviews/{review_id}", {"answers": {str(a): "yes"}, "submit": True}
    )
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "incomplete_review"
    bad = api.call(qa_sun, "PUT", f"/quality/reviews/{review_id}", {"answers": {str(b): 9}})
    assert bad.status_code == 422 and bad.json()["field"] == f"answers.{b}"
    answers = {str(k): v for k, v in {a: "yes", b: 5, c: "no", d: "yes"}.items()}
    saved = api.call(
        qa_sun, "PUT", f"/quality/reviews/{review_id}", {"answers": answers, "submit": True, "version": 1}
    )
    assert saved.status_code == 200 and saved.json()["total"] == "80.0"
    stale = api.call(qa_sun, "PUT", f"/quality/reviews/{review_id}", {"answers": answers, "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "review_locked"
    # another agent cannot see it; the agent can, and disputes it
    assert api.get(agent_wang, f"/quality/reviews/{review_id}").status_code == 404
    assert api.post(agent_wang, f"/quality/reviews/{review_id}/dispute", {"reason": "x"}).status_code == 404
    assert [r["id"] for r in api.get(agent_li, "/quality/reviews").json()] == [review_id]
    empty = api.post(agent_li, f"/quality/reviews/{review_id}/dispute", {"reason": " "})
    assert empty.status_code == 422 and empty.json()["field"] == "reason"
    disputed = api.post(agent_li, f"/quality/reviews/{review_id}/dispute", {"reason": "我用了规范用语"})
    assert disputed.status_code == 201
    dispute_id = disputed.json()["id"]
    assert api.get(agent_li, "/quality/disputes").status_code == 404
    assert (
        api.post(
            qa_sun, f"/quality/disputes/{dispute_id}/settle", {"outcome": "upheld", "note": "x"}
        ).status_code
        == 404
    )
    assert [d["id"] for d in api.get(lead_zhao, "/quality/disputes").json()] == [dispute_id]
    bad_outcome = api.post(
        lead_zhao, f"/quality/disputes/{dispute_id}/settle", {"outcome": "maybe", "note": "x"}
    )
    assert bad_outcome.status_code == 422
    settled = api.post(
        lead_zhao,
        f"/quality/disputes/{dispute_id}/settle",
        {"outcome": "changed", "note": "确实用了", "answers": {str(c): "yes"}},
    )
    assert settled.status_code == 200 and settled.json()["status"] == "changed"
    assert Review.objects.get(pk=review_id).total == 100
    again = api.post(lead_zhao, f"/quality/disputes/{dispute_id}/settle", {"outcome": "upheld", "note": "x"})
    assert again.status_code == 409


def test_second_open_by_the_same_reviewer_returns_the_same_review(
    api, scorecard, qa_sun, agent_li, solved_ticket
):
    ticket = solved_ticket(agent_li)
    first = api.post(qa_sun, "/quality/reviews", {"ticket_id": ticket.pk}).json()["id"]
    assert api.post(qa_sun, "/quality/reviews", {"ticket_id": ticket.pk}).json()["id"] == first
    assert api.post(agent_li, "/quality/reviews", {"ticket_id": ticket.pk}).status_code == 404
    assert api.post(qa_sun, "/quality/reviews", {"ticket_id": 999999}).status_code == 404


def test_scorecards_through_the_api(api, lead_zhao, qa_sun):
    bad = [dict(i, weight=10) for i in ITEMS]
    refused = api.post(lead_zhao, "/quality/scorecards", {"name": "x", "items": bad})
    assert refused.status_code == 422 and refused.json()["code"] == "bad_scorecard"
    assert "40" in refused.json()["message"]
    empty = api.post(lead_zhao, "/quality/scorecards", {"name": "x", "items": []})
    assert empty.status_code == 422 and empty.json()["field"] == "items"
    assert api.post(qa_sun, "/quality/scorecards", {"name": "x", "items": ITEMS}).status_code == 404
    made = api.post(lead_zhao, "/quality/scorecards", {"name": "标准", "items": ITEMS})
    assert made.status_code == 201 and len(made.json()["items"]) == 4
    assert [c["name"] for c in api.get(qa_sun, "/quality/scorecards").json()] == ["标准"]


def test_acknowledge_twice_is_a_conflict(api, scorecard, qa_sun, agent_li, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    assert api.post(agent_li, f"/quality/reviews/{review.pk}/acknowledge").status_code == 200
    assert api.post(agent_li, f"/quality/reviews/{review.pk}/acknowledge").status_code == 409


def test_openapi_documents_the_errors(api, qa_sun):
    schema = api.client.get("/api/openapi.json").json()
    responses = schema["paths"]["/api/quality/reviews/{review_id}"]["put"]["responses"]
    assert {"404", "409", "422"} <= {str(k) for k in responses}


def test_list_endpoints_do_not_query_per_row(
    api, scorecard, qa_sun, agent_li, solved_ticket, django_assert_max_num_queries
):
    for _ in range(3):
        review = services.open_review(solved_ticket(agent_li), by=qa_sun)
        services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    api.get(agent_li, "/quality/reviews")  # tokens made outside the count
    api.get(qa_sun, "/quality/queue")
    with django_assert_max_num_queries(12):
        assert len(api.get(agent_li, "/quality/reviews").json()) == 3
    for _ in range(3):
        review = services.open_review(solved_ticket(agent_li), by=qa_sun)
        services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    with django_assert_max_num_queries(12):
        assert len(api.get(agent_li, "/quality/reviews").json()) == 6
