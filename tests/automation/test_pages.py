"""The management pages and the canned-reply picker on the ticket page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kefu.automation import services
from kefu.automation.models import CannedReply


@pytest.mark.fault("U1")
def test_the_picker_sits_under_the_reply_box_with_external_script_only(
    client, agent_li, customer_x, make_ticket
):
    ticket = make_ticket(customer_x)
    client.force_login(agent_li)
    html = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "data-kefu-canned" in html
    assert "/static/automation/automation.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script (CSP)


@pytest.mark.fault("U1")
def test_search_answers_filled_in_text_escaped(client, agent_li, lead_zhao, customer_x, make_ticket):
    customer_x.name = '"><img src=x onerror=alert(1)>'
    customer_x.save()
    ticket = make_ticket(customer_x)
    services.save_canned_reply(
        by=lead_zhao, title="问候", body="您好 {{ customer_name }}，工单 {{ ticket_number }}", shared=True
    )
    client.force_login(agent_li)
    response = client.get(
        reverse("automation:canned_search"), {"q": "问候", "ticket": ticket.pk}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"工单 {ticket.number}" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


@pytest.mark.fault("A2")
def test_search_for_a_ticket_you_cannot_see_is_not_found(
    client, agent_tech, customer_x, make_ticket, team_aftersales
):
    ticket = make_ticket(customer_x, team=team_aftersales)
    client.force_login(agent_tech)
    response = client.get(reverse("automation:canned_search"), {"ticket": ticket.pk})
    assert response.status_code == 404


@pytest.mark.fault("U2")
def test_inserting_counts_a_use_by_post_only(client, agent_li, lead_zhao, customer_x, make_ticket):
    ticket = make_ticket(customer_x)
    reply = services.save_canned_reply(
        by=lead_zhao, title="问候", body="您好 {{ customer_name }}", shared=True
    )
    client.force_login(agent_li)
    url = reverse("automation:canned_used", args=[reply.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"ticket": ticket.pk})
    assert response.json() == {"text": "您好 张小明"}
    reply.refresh_from_db()
    assert reply.usage_count == 1


def test_an_agent_creates_and_edits_a_personal_reply_in_the_ui(client, agent_li, agent_wang):
    client.force_login(agent_li)
    assert client.get(reverse("automation:home")).status_code == 200
    response = client.post(
        reverse("automation:canned_new"),
        {
            "title": "结束语",
            "body": "感谢 {{ customer_name }} 的耐心",
            "category": "结束语",
            "language": "zh-hans",
            "shared": "0",
        },
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert reply.owner == agent_li
    bad = client.post(
        reverse("automation:canned_edit", args=[reply.pk]), {"title": "结束语", "body": "{{ order_id }}"}
    )
    assert bad.status_code == 422
    assert "order_id" in bad.content.decode()
    client.force_login(agent_wang)
    assert client.get(reverse("automation:canned_edit", args=[reply.pk])).status_code == 404
    assert client.post(reverse("automation:canned_delete", args=[reply.pk])).status_code == 404
    assert CannedReply.objects.count() == 1


def test_customers_and_anonymous_are_kept_out(client, customer_x):
    assert client.get(reverse("automation:home")).status_code == 302
    client.force_login(customer_x.user)
    assert client.get(reverse("automation:home")).status_code == 404
    assert client.get(reverse("automation:canned_search")).status_code == 404


def test_only_supervisors_edit_triggers_and_webhooks(client, agent_li, lead_zhao):
    client.force_login(agent_li)
    assert client.get(reverse("automation:rules", args=["trigger"])).status_code == 200
    assert client.get(reverse("automation:rule_new", args=["trigger"])).status_code == 403
    assert client.get(reverse("automation:webhooks")).status_code == 403
    client.force_login(lead_zhao)
    for kind in ("trigger", "time_rule", "macro"):
        assert client.get(reverse("automation:rule_new", args=[kind])).status_code == 200
    assert client.get(reverse("automation:webhooks")).status_code == 200


def test_the_api_searches_canned_replies_filled_in_for_a_ticket(
    client, agent_li, lead_zhao, customer_x, make_ticket
):
    ticket = make_ticket(customer_x)
    services.save_canned_reply(by=lead_zhao, title="问候", body="您好 {{ customer_name }}", shared=True)
    client.force_login(agent_li)
    response = client.get("/api/automation/canned", {"q": "问候", "ticket": ticket.pk})
    assert response.status_code == 200
    assert response.json()[0]["text"] == "您好 张小明"
    client.force_login(customer_x.user)
    assert client.get("/api/automation/canned").status_code == 404
