"""Ticket attachments are never opened as images (no previews or thumbnails): an animation bomb
attached to a reply is stored as it came and only ever downloaded (FAULTS F4, issue 13 item 8)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.tickets import services
from kefu.tickets.services import Upload
from tests.knowledge.images import many_frame_gif, peak_memory

pytestmark = [pytest.mark.django_db, pytest.mark.fault("F4")]


def test_an_animation_bomb_on_a_ticket_is_stored_and_downloaded_without_decoding(
    customer_x, team_aftersales, make_ticket, agent_li
):
    ticket = make_ticket(customer_x, subject="动图打不开", team=team_aftersales)
    bomb = many_frame_gif(720, 720, 300)  # 7 KB; decoded, over 600 MB
    li = Client()
    li.force_login(agent_li)
    li.get(reverse("agent:ticket", args=[ticket.pk]))  # the page's first use loads its models once
    with peak_memory() as peak:
        posted = services.reply(ticket, body="收到", by=agent_li, attachments=[Upload("动图.gif", bomb)])
        page = li.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
        attachment = posted.message.attachments.get()
        download = li.get(reverse("agent:attachment", args=[attachment.pk]))
        body = b"".join(download.streaming_content)
    assert peak["mb"] < 40, f"the ticket took {peak['mb']} MB"
    assert "动图.gif" in page and body == bomb
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Security-Policy"] == "sandbox"
