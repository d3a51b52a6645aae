"""Bad input answers 4xx JSON `{code, message, field}`, never a 500 or database text (issue 2, FAULTS A1)."""

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from kefu.tickets import services
from kefu.tickets.models import Message, Ticket

NEW = {"subject": "发票抬头开错了", "body": "请帮我把发票抬头改成公司名称。"}


@pytest.mark.fault("A1")
def test_malformed_json_is_400(api, customer_x):
    response = api.post(customer_x.user, "/tickets", raw='{"subject": "a", "body": ')
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.fault("A1")
def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(api, agent_li, ticket_x):
    response = api.call(agent_li, "PUT", f"/tickets/{ticket_x.pk}", {"subject": "x"})
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert "PATCH" in body["message"] and "PATCH" in response["Allow"]


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "没有标题"}, "subject"),
        ({"subject": 123, "body": "标题是数字"}, "subject"),
        ({"subject": ["a"], "body": "标题是列表"}, "subject"),
        ({**NEW, "type": "bogus"}, "type"),
        ({**NEW, "priority": "extreme"}, "priority"),
        ({**NEW, "colour": "red"}, "colour"),
        ({**NEW, "subject": "标" * 301}, "subject"),
        ({**NEW, "subject": "字" * 100_000}, "subject"),
        ({**NEW, "body": "字" * 100_000}, "body"),
        ({**NEW, "subject": "bad\x00byte"}, "subject"),
        ({**NEW, "tags": ["标" * 51]}, "tags"),
        ({**NEW, "body": "lone \ud800 surrogate"}, "body"),
    ],
)
def test_invalid_ticket_fields_are_422_naming_the_field(api, agent_li, customer_x, payload, field):
    payload = {**payload, "customer": customer_x.pk}
    response = api.post(agent_li, "/tickets", payload)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert response.json()["code"] == "invalid"
    assert Ticket.objects.count() == 0


@pytest.mark.fault("A1")
def test_blank_subject_is_named(api, customer_x):
    response = api.post(customer_x.user, "/tickets", {**NEW, "subject": "   "})
    assert response.status_code == 422
    assert response.json()["field"] == "subject"


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("view=everything", "view"),
        ("sort=id;DROP TABLE tickets_ticket", "sort"),
        ("team=abc", "team"),
        ("assignee=99999999999999999999999", "assignee"),
        ("cursor=not-a-cursor", "cursor"),
        ("limit=1000", "limit"),
    ],
)
def test_bad_list_filters_are_422_naming_the_parameter(api, agent_li, query, field):
    response = api.get(agent_li, f"/tickets?{query}")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert "sql" not in response.content.decode().lower()


@pytest.mark.fault("A1")
def test_array_style_params_and_odd_search_text_do_not_break(api, agent_li, ticket_x):
    assert api.get(agent_li, "/tickets?status[]=open&key[]=x").status_code in (200, 422)
    for q in ["' OR 1=1 --", '"unbalanced', "NEAR(a b)", "*", "字" * 200, "退货 AND"]:
        response = api.client.get(
            "/api/tickets/search", {"q": q}, headers={"Authorization": f"Bearer {api.token(agent_li)}"}
        )
        assert response.status_code == 200, (q, response.content)


def test_customer_cannot_set_staff_fields(api, customer_x, customer_y):
    response = api.post(customer_x.user, "/tickets", {**NEW, "customer": customer_y.pk})
    assert response.status_code == 403
    assert response.json()["field"] == "customer"


@pytest.mark.fault("U1")
def test_script_is_stored_and_returned_escaped(api, customer_x, agent_li):
    evil = '<script>alert(1)</script><a href="javascript:alert(2)">点我</a>'
    created = api.post(customer_x.user, "/tickets", {"subject": "<img src=x onerror=alert(1)>", "body": evil})
    assert created.status_code == 201
    message = created.json()["messages"][0]
    assert message["body_text"] == evil  # stored as written
    assert "<script" not in message["body_html"]
    assert "&lt;script&gt;" in message["body_html"]
    assert "<a " not in message["body_html"]  # the link is text, not a live anchor
    ticket_id = created.json()["id"]
    hits = api.client.get(
        "/api/tickets/search", {"q": "img"}, headers={"Authorization": f"Bearer {api.token(agent_li)}"}
    ).json()
    assert hits and "<img" not in hits[0]["subject_html"]
    assert hits[0]["ticket"]["id"] == ticket_id


@pytest.mark.fault("D1")
def test_stale_version_is_409_naming_who_changed_it(api, ticket_x, agent_li, agent_wang):
    version = api.get(agent_li, f"/tickets/{ticket_x.pk}").json()["version"]
    assert (
        api.patch(agent_wang, f"/tickets/{ticket_x.pk}", {"version": version, "priority": "high"}).status_code
        == 200
    )
    stale = api.patch(agent_li, f"/tickets/{ticket_x.pk}", {"version": version, "priority": "low"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale_version"
    assert "王芳" in body["message"]
    assert body["current_version"] == version + 1
    assert Ticket.objects.get(pk=ticket_x.pk).priority == "high"


@pytest.mark.fault("A1")
def test_patch_needs_a_version(api, ticket_x, agent_li):
    response = api.patch(agent_li, f"/tickets/{ticket_x.pk}", {"priority": "high"})
    assert response.status_code == 422
    assert response.json()["field"] == "version"


def test_invalid_transition_is_422(api, ticket_x, agent_li):
    services.change_status(ticket_x, to="closed", by=agent_li)
    version = Ticket.objects.get(pk=ticket_x.pk).version
    response = api.patch(agent_li, f"/tickets/{ticket_x.pk}", {"version": version, "status": "pending"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["field"] == "status"


def test_patch_fields_and_assignment(api, ticket_x, agent_li, agent_wang, customer_x):
    version = Ticket.objects.get(pk=ticket_x.pk).version
    response = api.patch(
        agent_li,
        f"/tickets/{ticket_x.pk}",
        {"version": version, "assignee": agent_wang.pk, "tags": ["退货", "加急"], "type": "after_sales"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"]["name"] == "王芳"
    assert body["tags"] == ["加急", "退货"]
    assert body["version"] == version + 1
    not_agent = api.patch(
        agent_li, f"/tickets/{ticket_x.pk}", {"version": body["version"], "assignee": customer_x.user.pk}
    )
    assert not_agent.status_code == 422
    assert not_agent.json()["field"] == "assignee"


def test_customer_can_close_but_not_reprioritise(api, ticket_x, customer_x):
    version = Ticket.objects.get(pk=ticket_x.pk).version
    denied = api.patch(customer_x.user, f"/tickets/{ticket_x.pk}", {"version": version, "priority": "urgent"})
    assert denied.status_code == 403
    closed = api.patch(customer_x.user, f"/tickets/{ticket_x.pk}", {"version": version, "status": "closed"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_agent_opens_a_ticket_for_a_customer_by_email(api, agent_li):
    response = api.post(
        agent_li,
        "/tickets",
        {
            **NEW,
            "customer_email": "new@example.cn",
            "customer_name": "新客户",
            "priority": "high",
            "channel": "phone",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"]["email"] == "new@example.cn"
    assert (body["priority"], body["channel"]) == ("high", "phone")


@pytest.mark.fault("U2")
def test_session_writes_need_the_csrf_token(ticket_x, agent_li):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_li)
    path = f"/api/tickets/{ticket_x.pk}/notes"
    assert browser.get(f"/api/tickets/{ticket_x.pk}").status_code == 200
    refused = browser.post(path, {"body": "无令牌"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    accepted = browser.post(
        path, {"body": "有令牌"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    assert Message.objects.filter(ticket=ticket_x, body_text="有令牌").exists()


def test_list_page_of_50_stays_within_10_queries(
    api, agent_li, customer_x, team_aftersales, make_ticket, django_assert_max_num_queries
):
    for i in range(55):
        make_ticket(customer_x, subject=f"批量工单 {i}", team=team_aftersales)
    token = api.token(agent_li)
    with django_assert_max_num_queries(10):
        first = api.client.get("/api/tickets?limit=50", headers={"Authorization": f"Bearer {token}"})
    assert len(first.json()["items"]) == 50
    cursor = first.json()["next_cursor"]
    with django_assert_max_num_queries(10):
        second = api.client.get(
            f"/api/tickets?limit=50&cursor={cursor}", headers={"Authorization": f"Bearer {token}"}
        )
    assert len(second.json()["items"]) == 5
    assert second.json()["next_cursor"] is None
    seen = [t["id"] for t in first.json()["items"] + second.json()["items"]]
    assert len(set(seen)) == 55


def test_openapi_documents_bearer_auth_and_idempotency(api):
    schema = Client().get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiAuth"]["scheme"] == "bearer"
    create = schema["paths"]["/api/tickets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert create["summary"] == "Open a ticket"
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content  # served by kefu itself: works offline
