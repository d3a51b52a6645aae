"""NUL characters and lone surrogates are refused while the request is parsed: 422 `invalid` naming
the field, for every JSON body, query string and form field, whatever the field's type, the same on
SQLite and PostgreSQL (which cannot store either) — never a database error (issue 13, FAULTS A1)."""

from __future__ import annotations

import pytest

from kefu.knowledge.models import Article
from kefu.routing.models import AssignmentRule
from kefu.tickets.models import Message, Ticket

NUL = "\x00"
SURROGATE = "\ud800"


def assert_refused(response, field: str | None) -> dict:
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == field
    assert "sqlite" not in body["message"].lower() and "psycopg" not in body["message"].lower()
    return body


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": "发票{bad}", "body": "请开发票"}, "subject"),
        ({"subject": "发票", "body": "请开{bad}发票"}, "body"),
        ({"subject": "发票", "body": "请开发票", "tags": ["ok", "加急{bad}"]}, "tags"),
        ({"subject": "发票", "body": "请开发票", "customer_name": "{bad}"}, "customer_name"),
    ],
)
def test_ticket_bodies_with_unstorable_text_are_422_naming_the_field(
    api, agent_li, customer_x, payload, field, bad
):
    payload = {
        k: [i.format(bad=bad) for i in v] if isinstance(v, list) else v.format(bad=bad)
        for k, v in payload.items()
    }
    response = api.post(agent_li, "/tickets", {**payload, "customer": customer_x.pk})
    assert_refused(response, field)
    assert Ticket.objects.count() == 0


def test_a_nested_field_is_named_by_its_path(api, lead_zhao):
    response = api.post(
        lead_zhao, "/routing/assignment-rules", {"name": "发票规则", "conditions": {"keyword": "发票\x00"}}
    )
    assert_refused(response, "conditions.keyword")
    assert not AssignmentRule.objects.exists()


def test_a_field_name_with_nul_is_named_escaped(api, agent_li, ticket_x):
    body = assert_refused(
        api.post(agent_li, f"/tickets/{ticket_x.pk}/notes", {"body": "好", "x\x00y": 1}), "x\\u0000y"
    )
    assert "\x00" not in str(body)


def test_utf8_encoded_surrogates_in_raw_json_are_refused(api, agent_li, ticket_x):
    raw = b'{"body": "\xed\xa0\x80 half a pair"}'  # a surrogate encoded as UTF-8: not valid UTF-8
    assert_refused(api.post(agent_li, f"/tickets/{ticket_x.pk}/replies", raw=raw), "body")
    assert not Message.objects.filter(ticket=ticket_x, body_text__contains="half a pair").exists()
    escaped = api.post(agent_li, f"/tickets/{ticket_x.pk}/replies", raw='{"body": "\\ud83d alone"}')
    assert_refused(escaped, "body")


def test_fields_without_their_own_text_check_are_covered_too(api, agent_li):
    """`q` of the knowledge search and the bot's question are plain strings: refused all the same."""
    assert_refused(api.get(agent_li, "/kb/search?q=%E9%80%80%00%E8%B4%A7"), "q")
    assert_refused(api.post(agent_li, "/kb/answer", {"question": "运费\x00谁出"}), "question")
    assert_refused(
        api.post(agent_li, "/kb/articles", {"title": "退货", "questions": ["怎么退\ud800"]}), "questions"
    )
    assert not Article.objects.exists()


def test_multipart_form_fields_are_checked_too(api, agent_li, ticket_x):
    response = api.client.post(
        f"/api/tickets/{ticket_x.pk}/messages",
        {"body": "附件\x00说明", "kind": "note"},
        headers={"Authorization": f"Bearer {api.token(agent_li)}"},
    )
    assert_refused(response, "body")
    assert not Message.objects.filter(ticket=ticket_x, kind="internal").exists()


def test_the_refusal_speaks_chinese_to_a_chinese_client(api, agent_li, ticket_x):
    response = api.post(
        agent_li,
        f"/tickets/{ticket_x.pk}/notes",
        {"body": "备注\x00"},
        headers={"Accept-Language": "zh-hans"},
    )
    body = assert_refused(response, "body")
    assert "NUL 字符" in body["message"]
    english = api.post(agent_li, f"/tickets/{ticket_x.pk}/notes", {"body": "note\ud800"})
    assert "lone surrogate" in assert_refused(english, "body")["message"]


def test_clean_chinese_text_and_emoji_still_pass(api, agent_li, ticket_x):
    response = api.post(agent_li, f"/tickets/{ticket_x.pk}/notes", {"body": "已联系仓库 📦 \u3000全角空格"})
    assert response.status_code == 201, response.content
