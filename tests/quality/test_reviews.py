"""Reviews beside the conversation, acknowledgement, disputes settled by a supervisor, calibration,
coaching notes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.accounts.models import Notification
from kefu.quality import selectors, services
from kefu.quality.errors import IncompleteReview, NotFound, ReviewLocked, ValidationFailed
from kefu.quality.models import Review, ReviewStatus
from tests.factories import UserFactory

from .conftest import full_marks, item_ids


def test_second_review_by_the_same_reviewer_edits_the_first(scorecard, qa_sun, agent_li, solved_ticket):
    ticket = solved_ticket(agent_li)
    first = services.open_review(ticket, by=qa_sun)
    services.save_review(first, by=qa_sun, answers=full_marks(scorecard), submit=True)
    again = services.open_review(ticket, by=qa_sun)
    assert again.pk == first.pk
    a, b, c, d = item_ids(scorecard)
    services.save_review(again, by=qa_sun, answers={a: "yes", b: 3, c: "no", d: "yes"}, submit=True)
    assert Review.objects.filter(ticket=ticket, reviewer=qa_sun).count() == 1
    assert Review.objects.get().total == Decimal("60.0")  # 30 + 20 + 0 + 10


def test_critical_item_zeroes_and_the_agent_is_told(scorecard, qa_sun, agent_li, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    assert review.agent == agent_li
    a, b, c, d = item_ids(scorecard)
    review = services.save_review(review, by=qa_sun, answers={a: "no", b: 5, c: "yes", d: "yes"}, submit=True)
    assert review.total == 0 and review.zeroed_by_critical
    assert Notification.objects.filter(user=agent_li, kind="quality.review").count() == 1


def test_submitting_with_missing_answers_is_refused(scorecard, qa_sun, agent_li, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    a = item_ids(scorecard)[0]
    with pytest.raises(IncompleteReview):
        services.save_review(review, by=qa_sun, answers={a: "yes"}, submit=True)
    draft = services.save_review(review, by=qa_sun, answers={a: "yes"})
    assert draft.status == ReviewStatus.DRAFT and draft.total is None


def test_stale_version_is_refused(scorecard, qa_sun, agent_li, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    services.save_review(review, by=qa_sun, answers=full_marks(scorecard), version=review.version)
    with pytest.raises(ReviewLocked):
        services.save_review(review, by=qa_sun, answers=full_marks(scorecard), version=1)


def test_comment_on_a_message_of_the_ticket_only(scorecard, qa_sun, agent_li, solved_ticket):
    ticket = solved_ticket(agent_li)
    other = solved_ticket(agent_li)
    review = services.open_review(ticket, by=qa_sun)
    reply = ticket.messages.filter(from_customer=False).first()
    services.add_comment(review, by=qa_sun, message_id=reply.pk, text="语气很好")
    with pytest.raises(ValidationFailed):
        services.add_comment(review, by=qa_sun, message_id=other.messages.first().pk, text="x")
    lines = selectors.conversation(review)
    assert [c.text for line in lines if line.message.pk == reply.pk for c in line.comments] == ["语气很好"]


def test_agent_acknowledges_only_their_own_submitted_review(
    scorecard, qa_sun, agent_li, agent_wang, solved_ticket
):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    with pytest.raises(NotFound):  # a draft is not shown to the agent yet
        services.acknowledge(review, by=agent_li)
    review = services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    with pytest.raises(NotFound):
        services.acknowledge(review, by=agent_wang)
    assert services.acknowledge(review, by=agent_li).status == ReviewStatus.ACKNOWLEDGED
    with pytest.raises(ReviewLocked):
        services.dispute(review, by=agent_li, reason="晚了")


def test_dispute_goes_to_a_supervisor_who_changes_the_score(
    scorecard, qa_sun, agent_li, lead_zhao, solved_ticket
):
    a, b, c, d = item_ids(scorecard)
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    review = services.save_review(review, by=qa_sun, answers={a: "yes", b: 5, c: "no", d: "no"}, submit=True)
    assert review.total == Decimal("70.0")
    with pytest.raises(ValidationFailed):
        services.dispute(review, by=agent_li, reason="  ")
    row = services.dispute(review, by=agent_li, reason="我用了规范用语，见第二条回复")
    assert Notification.objects.filter(user=lead_zhao, kind="quality.dispute").count() == 1
    assert [d.pk for d in selectors.list_disputes(lead_zhao)] == [row.pk]
    assert list(selectors.list_disputes(qa_sun)) == []
    with pytest.raises(ReviewLocked):  # the reviewer cannot quietly edit a disputed review
        services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    with pytest.raises(NotFound):
        services.settle(row, by=qa_sun, outcome="upheld", note="x")
    row = services.settle(row, by=lead_zhao, outcome="changed", note="确实用了规范用语", answers={c: "yes"})
    review.refresh_from_db()
    assert (row.status, row.original_total, review.total, review.status) == (
        "changed",
        Decimal("70.0"),
        Decimal("90.0"),
        ReviewStatus.SETTLED,
    )
    with pytest.raises(ReviewLocked):
        services.settle(row, by=lead_zhao, outcome="upheld", note="again")


def test_upheld_dispute_keeps_the_score(scorecard, qa_sun, agent_li, lead_zhao, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    review = services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    row = services.settle(
        services.dispute(review, by=agent_li, reason="理由"), by=lead_zhao, outcome="upheld", note="维持"
    )
    review.refresh_from_db()
    assert row.status == "upheld" and review.total == Decimal("100.0")


def test_calibration_shows_the_spread(scorecard, qa_sun, lead_zhao, agent_li, solved_ticket):
    qa_zhou = UserFactory(username="qa_zhou", role="qa")
    ticket = solved_ticket(agent_li)
    with pytest.raises(ValidationFailed):
        services.create_calibration(by=lead_zhao, ticket=ticket, scorecard=scorecard, reviewers=[qa_sun])
    session = services.create_calibration(
        by=lead_zhao, ticket=ticket, scorecard=scorecard, reviewers=[qa_sun, qa_zhou, lead_zhao]
    )
    a, b, c, d = item_ids(scorecard)
    for who, answers in (
        (qa_sun, {a: "yes", b: 5, c: "yes", d: "yes"}),
        (qa_zhou, {a: "yes", b: 3, c: "no", d: "yes"}),
    ):
        review = services.open_review(ticket, by=who, calibration=session)
        services.save_review(review, by=who, answers=answers, submit=True)
    # the session's reviews are not the agent's reviews
    assert list(selectors.list_my_reviews(agent_li)) == []
    reviews, items, totals = selectors.calibration_spread(session)
    assert len(reviews) == 2
    by_text = {s.label: s for s in items}
    assert (
        by_text["解决方案正确"].minimum,
        by_text["解决方案正确"].maximum,
        by_text["解决方案正确"].stddev,
    ) == (
        20.0,
        40.0,
        10.0,
    )
    assert by_text["服务态度"].stddev == 0.0
    assert (totals.minimum, totals.maximum, totals.stddev) == (60.0, 100.0, 20.0)
    outsider = UserFactory(username="qa_out", role="qa")
    with pytest.raises(NotFound):
        services.open_review(ticket, by=outsider, calibration=session)


def test_coaching_note_linked_to_the_review(scorecard, qa_sun, agent_li, solved_ticket):
    review = services.open_review(solved_ticket(agent_li), by=qa_sun)
    review = services.save_review(review, by=qa_sun, answers=full_marks(scorecard), submit=True)
    note = services.add_coaching_note(review, by=qa_sun, text="多用安抚话术")
    assert note.agent == agent_li
    assert [n.text for n in selectors.list_my_reviews(agent_li)[0].coaching_notes.all()] == ["多用安抚话术"]
    with pytest.raises(NotFound):
        services.add_coaching_note(review, by=agent_li, text="x")


def test_agents_cannot_open_reviews(scorecard, agent_li, solved_ticket):
    with pytest.raises(NotFound):
        services.open_review(solved_ticket(agent_li), by=agent_li)
