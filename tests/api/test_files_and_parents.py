"""Attachments through the API (multipart) and parent/child tickets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.tickets.models import Message, Ticket


def _multipart(api, user, ticket, data):
    return api.client.post(
        f"/api/tickets/{ticket.pk}/messages",
        data=data,
        headers={"Authorization": f"Bearer {api.token(user)}"},
    )


def test_an_agent_replies_with_files_and_a_bad_one_is_reported_not_fatal(api, agent_li, ticket_x):
    response = _multipart(
        api,
        agent_li,
        ticket_x,
        {
            "body": "请查看退货单。",
            "files": [
                SimpleUploadedFile("退货单.pdf", b"%PDF-1.4 return", content_type="application/pdf"),
                SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [a["filename"] for a in body["message"]["attachments"]] == ["退货单.pdf"]
    assert len(body["rejected_attachments"]) == 1 and "setup.exe" in body["rejected_attachments"][0]
    message = Message.objects.get(pk=body["message"]["id"])
    assert message.kind == "public" and message.attachments.count() == 1


def test_the_customer_follows_up_with_a_photo_but_cannot_post_a_note(api, customer_x, ticket_x):
    photo = SimpleUploadedFile("破损.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    response = _multipart(api, customer_x.user, ticket_x, {"body": "外包装破了", "files": [photo]})
    assert response.status_code == 201
    assert response.json()["message"]["attachments"][0]["filename"] == "破损.png"
    note = _multipart(api, customer_x.user, ticket_x, {"body": "偷偷写备注", "kind": "note"})
    assert note.status_code == 403
    assert not Message.objects.filter(body_text="偷偷写备注").exists()


@pytest.mark.fault("A2", "F4")
def test_too_many_files_and_someone_elses_ticket_are_refused(api, customer_y, agent_li, ticket_x):
    files = [SimpleUploadedFile(f"{i}.txt", b"x", content_type="text/plain") for i in range(11)]
    response = _multipart(api, agent_li, ticket_x, {"body": "很多文件", "files": files})
    assert response.status_code == 422 and response.json()["field"] == "files"
    stranger = _multipart(api, customer_y.user, ticket_x, {"body": "我来看看"})
    assert stranger.status_code == 404


def test_parent_and_children(api, agent_li, customer_x, make_ticket, team_aftersales):
    parent = make_ticket(customer_x, subject="整批货物破损", team=team_aftersales)
    child = make_ticket(customer_x, subject="其中一件退货", team=team_aftersales)

    response = api.call(agent_li, "PUT", f"/tickets/{child.pk}/parent", {"parent": parent.pk})
    assert response.status_code == 200 and response.json()["parent_id"] == parent.pk
    assert [t["id"] for t in api.get(agent_li, f"/tickets/{parent.pk}/children").json()] == [child.pk]

    cycle = api.call(agent_li, "PUT", f"/tickets/{parent.pk}/parent", {"parent": child.pk})
    assert cycle.status_code == 422 and cycle.json()["field"] == "parent"

    cleared = api.call(agent_li, "PUT", f"/tickets/{child.pk}/parent", {"parent": None})
    assert cleared.json()["parent_id"] is None
    assert Ticket.objects.get(pk=child.pk).parent_id is None
    assert child.events.filter(field="parent").count() == 2  # set, then cleared: both in the history


@pytest.mark.fault("A2")
def test_customers_cannot_rearrange_tickets(api, customer_x, make_ticket):
    a = make_ticket(customer_x, subject="订单一")
    b = make_ticket(customer_x, subject="订单二")
    assert api.call(customer_x.user, "PUT", f"/tickets/{a.pk}/parent", {"parent": b.pk}).status_code == 403


@pytest.mark.fault("A3")
def test_a_retried_upload_with_the_same_key_creates_one_message(api, agent_li, ticket_x):
    def send():
        return api.client.post(
            f"/api/tickets/{ticket_x.pk}/messages",
            data={
                "body": "发票已开具",
                "files": [SimpleUploadedFile("发票.pdf", b"%PDF-1.4 x", "application/pdf")],
            },
            headers={"Authorization": f"Bearer {api.token(agent_li)}", "Idempotency-Key": "upload-1"},
        )

    first, second = send(), send()
    assert first.status_code == second.status_code == 201
    assert first.json()["message"]["id"] == second.json()["message"]["id"]
    assert Message.objects.filter(ticket=ticket_x, body_text="发票已开具").count() == 1
