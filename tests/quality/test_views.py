"""The quality pages as each role sees them."""

from __future__ import annotations

import pytest

from kefu.quality import services
from kefu.quality.models import Dispute, Review, Scorecard

from .conftest import full_marks, item_ids


@pytest.fixture
def submitted(scorecard, qa_sun, agent_li, solved_ticket):
    ticket = solved_ticket(agent_li, replies=("没办法，你自己看。",))
    review = services.open_review(ticket, by=qa_sun)
    return services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)


def test_review_page_shows_the_conversation_beside_the_scorecard(
    client, scorecard, qa_sun, agent_li, solved_ticket
):
    ticket = solved_ticket(agent_li, replies=("没办法，你自己看。",))
    client.force_login(qa_sun)
    opened = client.post("/agent/quality/start/", {"ticket": ticket.pk})
    review = Review.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/agent/quality/reviews/{review.pk}/"
    page = client.get(opened["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "没办法，你自己看。" in html and "解决方案正确" in html
    assert html.count('data-testid="check"') == 3  # forbidden phrase, no greeting, no closing
    a, b, c, d = item_ids(scorecard)
    reply = ticket.messages.filter(from_customer=False).first()
    client.post(f"/agent/quality/reviews/{review.pk}/comment/", {"message": reply.pk, "text": "禁用语"})
    saved = client.post(
        f"/agent/quality/reviews/{review.pk}/save/",
        {
            f"item-{a}": "yes",
            f"item-{b}": "4",
            f"item-{c}": "no",
            f"item-{d}": "yes",
            "action": "submit",
            "version": 1,
        },
    )
    assert saved.status_code == 302
    review.refresh_from_db()
    assert (review.status, str(review.total)) == ("submitted", "70.0")
    html = client.get(f"/agent/quality/reviews/{review.pk}/").content.decode()
    assert 'data-testid="comment"' in html and 'value="4" checked' in html


def test_agent_disputes_from_my_reviews_and_a_supervisor_settles(
    client, submitted, agent_li, agent_wang, lead_zhao
):
    client.force_login(agent_wang)
    assert client.get(f"/agent/quality/reviews/{submitted.pk}/").status_code == 404
    client.force_login(agent_li)
    mine = client.get("/agent/quality/mine/")
    assert mine.status_code == 200 and mine.content.decode().count('data-testid="my-review"') == 1
    assert client.get("/agent/quality/").status_code == 404  # the queue is for reviewers
    page = client.get(f"/agent/quality/reviews/{submitted.pk}/").content.decode()
    assert 'data-testid="dispute"' in page
    client.post(f"/agent/quality/reviews/{submitted.pk}/dispute/", {"reason": "客户已经离开"})
    dispute = Dispute.objects.get()
    client.force_login(lead_zhao)
    listed = client.get("/agent/quality/disputes/").content.decode()
    assert "客户已经离开" in listed
    client.post(f"/agent/quality/disputes/{dispute.pk}/settle/", {"outcome": "upheld", "note": "维持"})
    dispute.refresh_from_db()
    assert dispute.status == "upheld"


def test_scorecard_editor_refuses_weights_that_do_not_add_up(client, lead_zhao, qa_sun):
    rows = {
        "name": "新表",
        "id": ["", ""],
        "section": ["服务态度", "业务能力"],
        "text": ["服务态度", "解决方案正确"],
        "weight": ["30", "60"],
        "kind": ["yes_no", "scale"],
        "critical": ["0"],
    }
    client.force_login(qa_sun)
    assert client.post("/agent/quality/scorecards/new/", rows).status_code == 404
    client.force_login(lead_zhao)
    refused = client.post("/agent/quality/scorecards/new/", rows)
    assert refused.status_code == 422
    assert "90" in refused.content.decode() and not Scorecard.objects.exists()
    rows["weight"] = ["40", "60"]
    saved = client.post("/agent/quality/scorecards/new/", rows)
    assert saved.status_code == 302
    card = Scorecard.objects.get()
    assert list(card.items.values_list("text", "critical")) == [("服务态度", True), ("解决方案正确", False)]


def test_pages_render_for_their_roles(
    client, scorecard, qa_sun, lead_zhao, agent_li, customer_x, solved_ticket
):
    session = services.create_calibration(
        by=lead_zhao, ticket=solved_ticket(agent_li), scorecard=scorecard, reviewers=[qa_sun, lead_zhao]
    )
    for who, url, status in (
        (qa_sun, "/agent/quality/", 200),
        (qa_sun, "/agent/quality/scorecards/", 200),
        (qa_sun, "/agent/quality/calibration/", 200),
        (qa_sun, f"/agent/quality/calibration/{session.pk}/", 200),
        (qa_sun, "/agent/quality/disputes/", 404),
        (lead_zhao, "/agent/quality/disputes/", 200),
        (lead_zhao, f"/agent/quality/scorecards/{scorecard.pk}/", 200),
        (agent_li, "/agent/quality/scorecards/", 404),
        (agent_li, f"/agent/quality/calibration/{session.pk}/", 404),
        (customer_x.user, "/agent/quality/mine/", 404),
    ):
        client.force_login(who)
        assert client.get(url).status_code == status, (who, url)


def test_calibration_members_score_and_see_the_spread(
    client, scorecard, qa_sun, lead_zhao, agent_li, solved_ticket
):
    session = services.create_calibration(
        by=lead_zhao, ticket=solved_ticket(agent_li), scorecard=scorecard, reviewers=[qa_sun, lead_zhao]
    )
    client.force_login(qa_sun)
    opened = client.post(f"/agent/quality/calibration/{session.pk}/score/")
    review = Review.objects.get(calibration=session)
    assert opened["Location"] == f"/agent/quality/reviews/{review.pk}/"
    services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    page = client.get(f"/agent/quality/calibration/{session.pk}/").content.decode()
    assert 'data-testid="spread"' in page and "100.0" in page


def test_menu_links(client, qa_sun, agent_li):
    client.force_login(qa_sun)
    assert 'href="/agent/quality/"' in client.get("/agent/quality/").content.decode()
    client.force_login(agent_li)
    assert 'href="/agent/quality/mine/"' in client.get("/agent/quality/mine/").content.decode()
