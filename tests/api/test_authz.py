"""Every ticket endpoint × every persona × a ticket that belongs to customer_x (FAULTS A2).

"Not yours" answers 404 exactly like "missing"; visible but not allowed answers 403; no
credentials answers 401. A downgraded user's token and session lose access at once.
"""

import re
from urllib.parse import unquote

import pytest

from kefu.accounts.models import Role
from kefu.accounts.services import change_role, create_api_token, revoke_api_token
from kefu.core.clock import now
from kefu.tickets import services
from kefu.tickets.models import Ticket
from kefu.tickets.services import Upload

ALL = ("get", "events", "attachment", "reply", "note", "patch", "link", "merge")
HIDDEN = dict.fromkeys(ALL, 404)
ANONYMOUS = dict.fromkeys(ALL, 401)
STAFF = {
    "get": 200,
    "events": 200,
    "attachment": 200,
    "reply": 201,
    "note": 201,
    "patch": 200,
    "link": 201,
    "merge": 200,
}
EXPECTED = {
    "customer_x": {
        "get": 200,
        "events": 403,
        "attachment": 200,
        "reply": 201,
        "note": 403,
        "patch": 403,
        "link": 403,
        "merge": 403,
    },
    "customer_y": HIDDEN,
    "agent_li": STAFF,
    "agent_tech": HIDDEN,  # another team's queue
    "lead_zhao": STAFF,
    "qa_sun": STAFF,
    "admin_user": STAFF,
    "dept_chen": HIDDEN,  # not shared with the warehouse
    "anonymous": ANONYMOUS,
}


@pytest.fixture
def setup(customer_x, team_aftersales, make_ticket):
    receipt = Upload("收据.pdf", b"%PDF-1.4 receipt", "application/pdf")
    ticket = make_ticket(
        customer_x, subject="退货地址是哪里 xylophone", team=team_aftersales, attachments=(receipt,)
    )
    other = make_ticket(customer_x, subject="发票抬头写错了", team=team_aftersales)
    return ticket, other, ticket.attachments.get()


def persona(request, name):
    if name == "anonymous":
        return None
    value = request.getfixturevalue(name)
    return value.user if name.startswith("customer") else value


def run_matrix(api, user, ticket, other, attachment):
    def version():
        return Ticket.objects.get(pk=ticket.pk).version

    got = {
        "get": api.get(user, f"/tickets/{ticket.pk}"),
        "events": api.get(user, f"/tickets/{ticket.pk}/events"),
        "attachment": api.get(user, f"/attachments/{attachment.pk}"),
        "reply": api.post(user, f"/tickets/{ticket.pk}/replies", {"body": "您好，已收到。"}),
        "note": api.post(user, f"/tickets/{ticket.pk}/notes", {"body": "内部备注：仓库核实中"}),
        "patch": api.patch(user, f"/tickets/{ticket.pk}", {"version": version(), "priority": "high"}),
        "link": api.post(user, f"/tickets/{ticket.pk}/links", {"to": other.pk}),
        "merge": api.post(user, f"/tickets/{ticket.pk}/merge", {"into": other.pk}),
    }
    return got


@pytest.mark.fault("A2", "F1")
@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_endpoint_for_every_persona(request, api, setup, name):
    ticket, other, attachment = setup
    user = persona(request, name)
    got = run_matrix(api, user, ticket, other, attachment)
    assert {k: r.status_code for k, r in got.items()} == EXPECTED[name]
    for response in got.values():
        if response.status_code >= 400:
            body = response.json()
            assert set(body) >= {"code", "message"}
    if EXPECTED[name]["get"] == 404:
        # Indistinguishable from a ticket that never existed.
        assert got["get"].json() == api.get(user, "/tickets/99999999").json()
        assert got["attachment"].json() == api.get(user, "/attachments/99999999").json()


@pytest.mark.fault("A2", "D2")
@pytest.mark.parametrize("name", list(EXPECTED))
def test_search_and_list_show_only_visible_tickets(request, api, setup, name):
    ticket, _other, _attachment = setup
    user = persona(request, name)
    search = api.get(user, "/tickets/search?q=xylophone")
    listing = api.get(user, "/tickets?view=all")
    if user is None:
        assert search.status_code == listing.status_code == 401
        return
    sees = EXPECTED[name]["get"] == 200
    assert search.status_code == listing.status_code == 200
    assert (ticket.pk in [h["ticket"]["id"] for h in search.json()]) is sees
    assert (ticket.pk in [t["id"] for t in listing.json()["items"]]) is sees


@pytest.mark.fault("A2")
def test_department_member_sees_a_shared_ticket_and_may_only_add_notes(
    api, setup, dept_chen, warehouse, agent_li
):
    ticket, other, attachment = setup
    services.share_with_department(ticket, department=warehouse, by=agent_li)
    got = run_matrix(api, dept_chen, ticket, other, attachment)
    assert {k: r.status_code for k, r in got.items()} == {
        "get": 200,
        "events": 200,
        "attachment": 200,
        "reply": 403,
        "note": 201,
        "patch": 403,
        "link": 404,
        "merge": 404,  # the other ticket is not shared with the warehouse
    }


@pytest.mark.fault("A2")
def test_merge_into_a_ticket_you_cannot_see_is_404(
    api, customer_y, agent_tech, team_tech, make_ticket, setup
):
    ticket, _other, _attachment = setup
    mine = make_ticket(customer_y, subject="软件无法登录", team=team_tech)
    response = api.post(agent_tech, f"/tickets/{mine.pk}/merge", {"into": ticket.pk})
    assert response.status_code == 404
    assert api.post(agent_tech, f"/tickets/{mine.pk}/links", {"to": ticket.pk}).status_code == 404
    assert Ticket.objects.get(pk=mine.pk).merged_into_id is None


@pytest.mark.fault("D2")
def test_customers_internal_notes_never_reach_the_customer(api, setup, customer_x, agent_li):
    ticket, _other, _attachment = setup
    services.add_note(ticket, body="客户情绪激动，注意措辞", by=agent_li)
    body = api.get(customer_x.user, f"/tickets/{ticket.pk}").json()
    assert all(m["kind"] == "public" for m in body["messages"])
    assert "情绪激动" not in str(body)
    staff = api.get(agent_li, f"/tickets/{ticket.pk}").json()
    assert any(m["kind"] == "internal" for m in staff["messages"])


@pytest.mark.fault("A2")
def test_customer_records(api, customer_x, customer_y, agent_li, dept_chen, make_ticket, team_aftersales):
    path = f"/customers/{customer_x.pk}"
    assert api.get(customer_x.user, path).json()["email"] == "xiaoming@example.cn"
    assert api.get(customer_y.user, path).status_code == 404
    assert api.get(agent_li, path).status_code == 404  # agents read customers of tickets they can see
    make_ticket(customer_x, team=team_aftersales)
    assert api.get(agent_li, path).status_code == 200
    assert api.get(dept_chen, path).status_code == 404
    assert api.get(None, path).status_code == 401
    assert [c["id"] for c in api.get(customer_y.user, "/customers").json()["items"]] == [customer_y.pk]
    found = api.get(agent_li, "/customers?q=xiaoming").json()["items"]
    assert [c["id"] for c in found] == [customer_x.pk]


@pytest.mark.fault("A2")
@pytest.mark.parametrize("path", ["/agents", "/teams"])
def test_agents_and_teams_are_for_staff(api, path, agent_li, dept_chen, customer_x):
    assert api.get(agent_li, path).status_code == 200
    assert api.get(dept_chen, path).status_code == 200
    assert api.get(customer_x.user, path).status_code == 403
    assert api.get(None, path).status_code == 401


@pytest.mark.fault("A2")
def test_role_downgrade_takes_effect_on_the_next_request(api, setup, agent_li, admin_user):
    ticket, _other, _attachment = setup
    session = api.client.__class__()
    session.force_login(agent_li)
    assert api.get(agent_li, f"/tickets/{ticket.pk}").status_code == 200
    assert session.get(f"/api/tickets/{ticket.pk}").status_code == 200

    change_role(agent_li, role=Role.CUSTOMER, by=admin_user)

    assert api.get(agent_li, f"/tickets/{ticket.pk}").status_code == 404
    assert api.post(agent_li, f"/tickets/{ticket.pk}/notes", {"body": "还能写吗"}).status_code == 404
    assert api.get(agent_li, "/agents").status_code == 403
    assert session.get(f"/api/tickets/{ticket.pk}").status_code == 404


@pytest.mark.fault("A2", "X2")
def test_revoked_expired_and_unknown_tokens_answer_401(api, setup, agent_li):
    ticket, _other, _attachment = setup
    path = f"/api/tickets/{ticket.pk}"
    revoked, revoked_secret = create_api_token(user=agent_li, name="old laptop")
    revoke_api_token(revoked, by=agent_li)
    _expired, expired_secret = create_api_token(user=agent_li, name="temp", expires_at=now())
    for header in (f"Bearer {revoked_secret}", f"Bearer {expired_secret}", "Bearer kf_nonsense", "Basic abc"):
        response = api.client.get(path, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["code"] == "token_invalid"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert api.client.get(path).json()["code"] == "unauthenticated"


@pytest.mark.fault("A2", "X2")
def test_inactive_user_token_answers_401(api, setup, agent_li):
    ticket, _other, _attachment = setup
    token = api.token(agent_li)
    agent_li.is_active = False
    agent_li.save()
    response = api.client.get(f"/api/tickets/{ticket.pk}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.fault("F2", "F3")
def test_attachment_is_always_a_download(api, setup, customer_x):
    _ticket, _other, attachment = setup
    response = api.get(customer_x.user, f"/attachments/{attachment.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    exact = re.search(r"filename\*=utf-8''([^;]+)", response["Content-Disposition"], re.IGNORECASE)
    assert unquote(exact.group(1)) == "收据.pdf"  # RFC 5987: the exact name, whatever the charset's case
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 receipt"


@pytest.mark.fault("X2")
def test_a_password_change_ends_old_api_tokens_and_other_sessions(api, setup, customer_x):
    """FAULTS X2: after a password change, the old token and a replayed session cookie are dead."""
    from django.test import Client

    from tests.conftest import PASSWORD

    ticket, _other, _attachment = setup
    path = f"/api/tickets/{ticket.pk}"
    _token, secret = create_api_token(user=customer_x.user, name="手机")
    stolen = Client()
    stolen.force_login(customer_x.user)
    me = Client()
    me.force_login(customer_x.user)
    assert api.client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert stolen.get(path).status_code == 200

    response = me.post(
        "/portal/password/",
        {"old_password": PASSWORD, "new_password1": "a-new-pass-2026!", "new_password2": "a-new-pass-2026!"},
    )
    assert response.status_code == 302

    old = api.client.get(path, headers={"Authorization": f"Bearer {secret}"})
    assert old.status_code == 401 and "password was changed" in old.json()["message"]
    assert stolen.get(path).status_code == 401  # the replayed cookie is logged out
    assert me.get(path).status_code == 200  # the person who changed it stays logged in
    _new, fresh = create_api_token(user=customer_x.user, name="新手机")
    assert api.client.get(path, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
