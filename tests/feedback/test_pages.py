"""The pages: the survey link (no login), the portal's rating box, the agent's panel, the answers list."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse

from kefu.feedback import services
from kefu.feedback.models import ProductFeedback, Survey
from kefu.tickets.models import Channel


def _mailed_path(ticket) -> str:
    body = next(m.body for m in mail.outbox if ticket.number in m.subject)
    url = re.findall(r"https?://\S+/feedback/s/\S+/\?score=4", body)[0]
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_customer_answers_from_the_mail_link(client, solved):
    ticket = solved()
    path = _mailed_path(ticket)
    page = client.get(path)  # a GET (a mail scanner's too) records nothing
    assert page.status_code == 200
    assert 'value="4" autocomplete="off" checked' in page.content.decode()
    assert Survey.objects.get(ticket=ticket).answered_at is None
    done = client.post(path.split("?")[0], {"score": "4", "reasons": ["speed"], "comment": "挺快的"})
    assert done.status_code == 200
    assert "Your rating: 4 of 5." in done.content.decode()
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.score, survey.reasons, survey.comment, survey.answered_via) == (
        4,
        ["speed"],
        "挺快的",
        "mail",
    )
    # replayed: the first answer is shown, nothing changes
    again = client.post(path.split("?")[0], {"score": "1"})
    assert again.status_code == 200 and 'data-testid="already-answered"' in again.content.decode()
    assert Survey.objects.get(ticket=ticket).score == 4


def test_out_of_range_on_the_page_is_refused(client, solved):
    ticket = solved()
    path = _mailed_path(ticket).split("?")[0]
    bad = client.post(path, {"score": "9"})
    assert bad.status_code == 422
    assert "Choose a rating from 1 to 5." in bad.content.decode()
    assert Survey.objects.get(ticket=ticket).answered_at is None


def test_forged_and_expired_links_get_a_clear_page(client, solved, fixed_clock):
    ticket = solved()
    path = _mailed_path(ticket).split("?")[0]
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = client.post(
        reverse("feedback:csat", args=[token[:-1] + ("A" if token[-1] != "A" else "B")]), {"score": "5"}
    )
    assert forged.status_code == 403
    assert "This survey link is not valid" in forged.content.decode()
    fixed_clock.shift(timedelta(days=15))
    expired = client.get(path)
    assert expired.status_code == 410
    assert "This survey has closed" in expired.content.decode()
    assert Survey.objects.get(ticket=ticket).answered_at is None


def test_portal_rating_box_on_the_solved_ticket(client, solved, customer_x, customer_y):
    ticket = solved(channel=Channel.WEB)
    client.force_login(customer_x.user)
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="csat-box"' in page
    assert reverse("feedback:portal_answer", args=[ticket.pk]) in page
    client.post(reverse("feedback:portal_answer", args=[ticket.pk]), {"score": "5"})
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.score, survey.answered_via) == (5, "portal")
    client.post(reverse("feedback:portal_answer", args=[ticket.pk]), {"score": "2"})
    assert Survey.objects.get(ticket=ticket).score == 5
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "Your rating: 5 of 5." in page and "Send rating" not in page
    # another customer cannot rate it
    client.force_login(customer_y.user)
    assert client.post(reverse("feedback:portal_answer", args=[ticket.pk]), {"score": "1"}).status_code == 404


def test_open_ticket_has_no_rating_box(client, open_ticket, customer_x):
    ticket = open_ticket(customer_x, channel=Channel.WEB)
    client.force_login(customer_x.user)
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="csat-box"' not in page


def test_agent_panel_shows_the_answer_and_tags_product_feedback(client, solved, agent_li):
    ticket = solved()
    services.answer(Survey.objects.get(ticket=ticket), score=2, reasons=["solution"], comment="没解决")
    client.force_login(agent_li)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="csat-answer"' in page and "2/5" in page
    message = ticket.messages.order_by("pk").first()
    client.post(
        reverse("feedback:tag", args=[ticket.pk]),
        {"message": message.pk, "area": "app", "note": "希望有夜间模式"},
    )
    item = ProductFeedback.objects.get()
    assert (item.message_id, item.area, item.tagged_by_id) == (message.pk, "app", agent_li.pk)


def test_answers_list_filters(client, solved, lead_zhao, customer_y):
    low = solved(subject="差评")
    high = solved(customer_y, subject="好评")
    services.answer(Survey.objects.get(ticket=low), score=1)
    services.answer(Survey.objects.get(ticket=high), score=5)
    client.force_login(lead_zhao)
    page = client.get(reverse("feedback:answers")).content.decode()
    assert page.count('data-testid="answer"') == 2
    page = client.get(reverse("feedback:answers"), {"score": "1"}).content.decode()
    assert page.count('data-testid="answer"') == 1 and low.number in page and high.number not in page
    assert (
        client.get(reverse("feedback:answers"), {"channel": "chat"})
        .content.decode()
        .count('data-testid="answer"')
        == 0
    )


def test_answers_list_is_not_for_customers(client, customer_x):
    client.force_login(customer_x.user)
    assert client.get(reverse("feedback:answers")).status_code == 404
