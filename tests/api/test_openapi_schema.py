"""The published OpenAPI schema tells the truth (issue 13, FAULTS A1): one definition per component
name, real answers validate against it, and every error status an operation answers is documented
with the shared body `{code, message, field?}`."""

from __future__ import annotations

import jsonschema_rs  # schemathesis' own validator (tests extra)
import pytest
from django.test import Client
from ninja import Router, Schema
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema

from kefu.api import api as kefu_api
from kefu.core.api_support import ComponentNameClash, KefuAPI
from kefu.knowledge import services as kb
from kefu.knowledge.states import Status as ArticleStatus
from kefu.tickets import services
from kefu.tickets.states import Status as TicketStatus

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture
def schema(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def operation(schema: dict, method: str, path: str) -> dict:
    return schema["paths"][path][method.lower()]


def assert_matches(schema: dict, method: str, path: str, status: int, body) -> None:
    """`body` is valid against what the schema publishes for (method, path, status)."""
    responses = operation(schema, method, path)["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, documented: {sorted(responses)}"
    published = responses[str(status)]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**published, "components": schema["components"]})
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, (method, path, status, errors)


# --------------------------------------------------------------------------- one name, one definition


def _definitions_of_every_operation():
    """(name, definition, where) for every component each operation's models define, built one
    model at a time the way ninja builds them (before anything can overwrite anything)."""
    for router in kefu_api._get_bound_routers():
        for path, view in router.path_operations.items():
            for op in view.operations:
                if not op.include_in_schema:
                    continue
                models = [(m, "validation") for m in op.models]
                models += [
                    (m, "serialization")
                    for m in op.response_models.values()
                    if hasattr(m, "model_json_schema")
                ]
                for model, mode in models:
                    built = model.model_json_schema(
                        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode
                    )
                    for name, definition in built.get("$defs", {}).items():
                        yield name, definition, f"{'/'.join(op.methods)} {router.prefix}{path} ({mode})"


def test_every_component_name_stands_for_one_definition(schema):
    seen: dict[str, tuple[dict, str]] = {}
    for name, definition, where in _definitions_of_every_operation():
        if name in seen:
            assert seen[name][0] == definition, f"{name!r} means two things: {seen[name][1]} and {where}"
        seen[name] = (definition, where)
        assert schema["components"]["schemas"][name] == definition, f"{name} published wrongly ({where})"
    # The statuses of tickets and of articles are two enums with names of their own.
    components = schema["components"]["schemas"]
    assert components["TicketStatus"]["enum"] == list(TicketStatus.values)
    assert components["ArticleStatus"]["enum"] == list(ArticleStatus.values)
    assert "Status" not in components
    ticket_out = components["TicketOut"]["properties"]
    assert ticket_out["status"] == {"$ref": "#/components/schemas/TicketStatus"}
    assert components["ArticleOut"]["properties"]["status"] == {"$ref": "#/components/schemas/ArticleStatus"}


def test_a_name_given_to_two_definitions_stops_the_schema():
    """Two apps' `Status` enums under one name: building the schema fails and names the clash,
    instead of publishing one of them for both (which made generated clients reject tickets)."""

    class First(Schema):
        status: TicketStatus

    class Second(Schema):
        status: ArticleStatus

    first, second = Router(), Router()

    @first.get("/a", response=First)
    def a(request):
        return First(status=TicketStatus.OPEN)

    @second.get("/b", response=Second)
    def b(request):
        return Second(status=ArticleStatus.DRAFT)

    probe = KefuAPI(urls_namespace="clash-probe")
    probe.add_router("/first", first)
    probe.add_router("/second", second)
    with pytest.raises(ComponentNameClash, match="'Status'"):
        probe.get_openapi_schema(path_prefix="")


def test_real_ticket_answers_validate_against_the_published_schema(
    schema, api, agent_li, customer_x, ticket_x
):
    services.change_status(ticket_x, to="pending", by=agent_li)  # a value only tickets' Status has
    detail = api.get(agent_li, f"/tickets/{ticket_x.pk}")
    assert detail.json()["status"] == "pending"
    assert_matches(schema, "GET", "/api/tickets/{ticket_id}", 200, detail.json())
    assert_matches(schema, "GET", "/api/tickets", 200, api.get(agent_li, "/tickets").json())
    mine = api.get(customer_x.user, f"/tickets/{ticket_x.pk}")
    assert_matches(schema, "GET", "/api/tickets/{ticket_id}", 200, mine.json())
    version = detail.json()["version"]
    changed = api.patch(agent_li, f"/tickets/{ticket_x.pk}", {"version": version, "priority": "urgent"})
    assert_matches(schema, "PATCH", "/api/tickets/{ticket_id}", 200, changed.json())
    created = api.post(customer_x.user, "/tickets", {"subject": "发票", "body": "请开发票"})
    assert_matches(schema, "POST", "/api/tickets", 201, created.json())


def test_a_real_article_answer_validates_against_the_published_schema(schema, api, agent_li):
    article = kb.create_article(
        by=agent_li, title="退货运费谁出", body="质量问题由我们承担。", status="published"
    )
    answer = api.get(agent_li, f"/kb/articles/{article.pk}")
    assert answer.json()["status"] == "published"
    assert_matches(schema, "GET", "/api/kb/articles/{article_id}", 200, answer.json())


# --------------------------------------------------------------------------- every error documented


def test_every_operation_documents_its_error_statuses_with_the_error_body(schema):
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            expected = {"403", "404", "413", "429"} | ({"401"} if op.get("security") else set())
            if op.get("parameters") or op.get("requestBody") or method != "get":
                expected.add("422")
            if op.get("requestBody"):
                expected.add("400")
            if method != "get":
                expected.add("409")
            assert expected <= set(responses), (method, path, expected - set(responses))
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
                    assert response["description"]
            checked += 1
    assert checked >= 40


BIG = "字" * 600_000  # over the 1 MB JSON limit once encoded


@pytest.mark.parametrize(
    ("who", "method", "path", "doc_path", "body", "status"),
    [
        ("agent", "GET", "/tickets/999999", "/api/tickets/{ticket_id}", None, 404),
        ("agent", "GET", "/customers/999999", "/api/customers/{customer_id}", None, 404),
        ("customer", "GET", "/tickets/{t}/events", "/api/tickets/{ticket_id}/events", None, 403),
        ("customer", "POST", "/kb/articles", "/api/kb/articles", {"title": "x"}, 403),
        ("agent", "GET", "/tickets?limit=1000", "/api/tickets", None, 422),
        ("agent", "GET", "/kb/search?q=a%00b", "/api/kb/search", None, 422),
        ("agent", "POST", "/tickets/{t}/notes", "/api/tickets/{ticket_id}/notes", {"body": "a\x00"}, 422),
        ("agent", "PATCH", "/tickets/{t}", "/api/tickets/{ticket_id}", {"version": 99}, 409),
        ("agent", "POST", "/tickets", "/api/tickets", {"subject": "a", "body": BIG}, 413),
        ("anonymous", "GET", "/me", "/api/me", None, 401),
        ("bad-token", "GET", "/kb/search", "/api/kb/search", None, 401),
    ],
)
def test_errors_the_api_answers_are_documented_as_answered(
    schema, api, agent_li, customer_x, ticket_x, who, method, path, doc_path, body, status
):
    user = {"agent": agent_li, "customer": customer_x.user}.get(who)
    headers = {"Authorization": "Bearer kf_not-a-token"} if who == "bad-token" else None
    response = api.call(user, method, path.format(t=ticket_x.pk), body, headers=headers)
    assert response.status_code == status, response.content[:300]
    assert_matches(schema, method, doc_path, status, response.json())


def test_the_public_help_centre_is_documented_as_needing_no_token(schema, api, agent_li):
    """Search, articles and the bot also answer anonymous visitors: the schema says so (`{}` in
    `security`), so generated clients do not insist on a token; everything else needs one."""
    public = {("get", "/api/kb/search"), ("get", "/api/kb/articles/{article_id}"), ("post", "/api/kb/answer")}
    for method, path in public:
        assert {} in operation(schema, method, path)["security"], (method, path)
    assert {} not in operation(schema, "get", "/api/tickets")["security"]
    assert {} not in operation(schema, "post", "/api/kb/articles")["security"]
    article = kb.create_article(
        by=agent_li, title="退货运费谁出", body="质量问题由我们承担。", status="published"
    )
    anonymous = api.get(None, f"/kb/articles/{article.pk}")
    assert anonymous.status_code == 200
    assert_matches(schema, "GET", "/api/kb/articles/{article_id}", 200, anonymous.json())
    assert api.get(None, "/tickets").status_code == 401
