"""The knowledge REST API (/api/kb/), through real HTTP requests with bearer tokens or none."""

from __future__ import annotations

import json as jsonlib

import pytest
from django.test import Client

from kefu.accounts.services import create_api_token
from kefu.knowledge.models import BotQuestion, Feedback


class Api:
    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[int, str] = {}

    def call(self, user, method, path, json=None, *, raw=None, headers=None):
        headers = dict(headers or {})
        if user is not None:
            if user.pk not in self.tokens:
                self.tokens[user.pk] = create_api_token(user=user, name="tests")[1]
            headers["Authorization"] = f"Bearer {self.tokens[user.pk]}"
        data = raw if raw is not None else ("" if json is None else jsonlib.dumps(json))
        return self.client.generic(
            method, f"/api/kb{path}", data=data, content_type="application/json", headers=headers
        )

    def get(self, user, path, **kw):
        return self.call(user, "GET", path, **kw)

    def post(self, user, path, json=None, **kw):
        return self.call(user, "POST", path, json, **kw)

    def patch(self, user, path, json=None, **kw):
        return self.call(user, "PATCH", path, json, **kw)


@pytest.fixture(autouse=True)
def _roomy(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    settings.KEFU_KB_ANON_RATE = "10000/3600"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    return Api()


def _ids(response):
    assert response.status_code == 200, response.content
    return [h["id"] for h in response.json()]


# ----------------------------------------------------------------- search and D2


def test_anonymous_search_finds_public_article_with_highlight(api, kb):
    r = api.get(None, "/search?q=退钱多久能到账")
    ids = _ids(r)
    assert ids[0] == kb["refund-time"].pk
    assert "<mark>" in r.json()[0]["snippet_html"]
    assert r.json()[0]["url"].startswith("/help/")


@pytest.mark.fault("D2")
@pytest.mark.parametrize("who", ["anonymous", "customer_x"])
def test_d2_internal_article_never_reaches_customers(api, kb, customer_x, who):
    user = customer_x.user if who == "customer_x" else None
    internal = kb["internal-comp"]
    assert internal.pk not in _ids(api.get(user, "/search?q=退款补偿多少钱&limit=50"))
    r = api.get(user, f"/articles/{internal.pk}")
    assert r.status_code == 404 and r.json()["code"] == "article_not_found"
    missing = api.get(user, "/articles/999999")
    assert missing.status_code == 404 and missing.json()["code"] == r.json()["code"]
    bot = api.post(user, "/answer", {"question": "退款慢了赔多少"}).json()
    assert internal.pk not in [a["id"] for a in bot["articles"]]
    assert "20 元" not in bot["text"]


def test_d2_staff_see_internal_articles(api, kb, agent_li):
    internal = kb["internal-comp"]
    assert internal.pk in _ids(api.get(agent_li, "/search?q=退款补偿多少钱"))
    r = api.get(agent_li, f"/articles/{internal.pk}")
    assert r.status_code == 200 and r.json()["audience"] == "internal"


@pytest.mark.fault("D2")
def test_draft_and_archived_articles_are_hidden_from_customers(api, kb, customer_x, agent_li):
    from kefu.knowledge import services

    draft = services.create_article(by=agent_li, title="草稿：新品预售规则", body="预售")
    assert api.get(customer_x.user, f"/articles/{draft.pk}").status_code == 404
    assert api.get(None, f"/articles/{draft.pk}").status_code == 404
    assert api.get(agent_li, f"/articles/{draft.pk}").status_code == 200


@pytest.mark.fault("U1")
def test_public_article_page_renders_markdown_safely(api, kb, agent_li):
    r = api.post(
        agent_li,
        "/articles",
        {"title": "安全渲染", "body": "**粗体** <script>alert(1)</script>", "status": "published"},
    )
    assert r.status_code == 201, r.content
    page = api.get(None, f"/articles/{r.json()['id']}").json()
    assert "<strong>粗体</strong>" in page["body_html"]
    assert "<script>" not in page["body_html"]


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "😀😀\x07\x1b退款",
        "退款 refund 多久",
        "退款多久到帳",
        "'; DROP TABLE x; --",
        "<img src=x onerror=alert(1)>",
        "¿cuánto tarda el reembolso?",
    ],
)
def test_search_survives_bad_queries(api, kb, query):
    from urllib.parse import quote

    r = api.get(None, f"/search?q={quote(query)}")
    assert r.status_code == 200
    for hit in r.json():
        assert "<img" not in hit["snippet_html"]


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    "path",
    [
        "/search?q=" + "x" * 10_001,
        "/search?q=a&limit=0",
        "/search?q=a&limit=abc",
        "/search?q=a&limit=51",
        "/search?q=a&language=fr",
        "/articles/abc",
    ],
)
def test_search_bad_parameters_are_4xx_json(api, kb, path):
    r = api.get(None, path)
    assert 400 <= r.status_code < 500
    assert r["Content-Type"].startswith("application/json")
    assert "code" in r.json()


def test_a_bad_token_is_401_not_anonymous(api, kb):
    r = api.client.get("/api/kb/search?q=退款", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


@pytest.mark.fault("A4")
def test_anonymous_callers_are_rate_limited(api, kb, settings):
    settings.KEFU_KB_ANON_RATE = "3/60"
    codes = [api.get(None, "/search?q=退款").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


# ----------------------------------------------------------------- the bot


def test_bot_answers_then_follow_up_uses_context(api, kb, customer_x):
    r = api.post(customer_x.user, "/answer", {"question": "怎么申请退货", "language": "zh-hans"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["decision"] in ("answer", "suggest")
    assert body["articles"][0]["id"] == kb["return-how"].pk
    assert body["question_id"]
    row = BotQuestion.objects.get(pk=body["question_id"])
    assert row.customer == customer_x and row.channel == "api"
    follow = api.post(None, "/answer", {"question": "那运费呢？", "context": "怎么退货"}).json()
    assert follow["articles"][0]["id"] == kb["return-shipping"].pk


def test_bot_hands_off_on_request_and_complaints(api, kb):
    human = api.post(None, "/answer", {"question": "转人工"}).json()
    assert human["decision"] == "handoff" and human["reason"] == "asked_for_human"
    assert human["transcript"][0] == {"who": "customer", "text": "转人工"}
    complaint = api.post(None, "/answer", {"question": "我要去12315投诉你们"}).json()
    assert complaint["decision"] == "handoff" and complaint["reason"] == "complaint"
    assert human["ticket_number"] == "" and complaint["ticket_number"] == ""  # nobody to open it for


def test_signed_in_customer_handoff_opens_a_ticket_with_the_transcript(api, kb, customer_x):
    from kefu.tickets.models import Ticket

    first = api.post(customer_x.user, "/answer", {"question": "怎么查物流"}).json()
    body = api.post(customer_x.user, "/answer", {"question": "转人工", "session": first["session"]}).json()
    assert body["decision"] == "handoff" and body["ticket_number"]
    ticket = Ticket.objects.get(customer=customer_x)
    assert ticket.number == body["ticket_number"]
    text = ticket.messages.get().body_text
    assert text.index("怎么查物流") < text.index("转人工")


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"question": 12},
        {"question": ["a"]},
        {"question": "x" * 10_001},
        {"question": "a", "extra": 1},
        {"question": "a", "language": "klingon"},
        {"question": "a\x00b"},
    ],
)
def test_bot_bad_bodies_are_4xx_json(api, kb, payload):
    r = api.post(None, "/answer", payload)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "invalid"


@pytest.mark.fault("A1")
def test_bot_malformed_json_is_4xx(api, kb):
    r = api.post(None, "/answer", raw="{not json")
    assert 400 <= r.status_code < 500 and "code" in r.json()


@pytest.mark.fault("A1")
@pytest.mark.parametrize("question", ["", "   ", "x" * 10_000, "🙂\x07", "<b>退款</b>' OR 1=1"])
def test_bot_odd_questions_never_error(api, kb, question):
    r = api.post(None, "/answer", {"question": question})
    assert r.status_code == 200
    assert r.json()["decision"] in ("answer", "suggest", "handoff")


def test_feedback_only_by_the_asker(api, kb, customer_x, customer_y):
    qid = api.post(customer_x.user, "/answer", {"question": "怎么查询物流"}).json()["question_id"]
    assert api.post(customer_y.user, f"/questions/{qid}/feedback", {"helpful": False}).status_code == 404
    assert api.post(None, f"/questions/{qid}/feedback", {"helpful": False}).status_code == 404
    r = api.post(customer_x.user, f"/questions/{qid}/feedback", {"helpful": True})
    assert r.status_code == 200 and r.json() == {"question_id": qid, "helpful": True}
    assert BotQuestion.objects.get(pk=qid).feedback == Feedback.HELPFUL
    anon = api.post(None, "/answer", {"question": "发票"}).json()["question_id"]
    assert api.post(None, f"/questions/{anon}/feedback", {"helpful": False}).status_code == 200
    assert BotQuestion.objects.get(pk=anon).feedback == Feedback.NOT_HELPFUL
    assert api.post(None, f"/questions/{anon}/feedback", {"helpful": "maybe"}).status_code == 422
    assert api.post(None, "/questions/999999/feedback", {"helpful": True}).status_code == 404


# ----------------------------------------------------------------- staff editing


def test_staff_create_edit_with_version_check(api, kb, agent_li, customer_x):
    r = api.post(
        agent_li,
        "/articles",
        {
            "title": "会员积分怎么用",
            "body": "积分可抵现。",
            "questions": ["积分能抵钱吗"],
            "category": "会员/积分",
            "status": "published",
        },
    )
    assert r.status_code == 201, r.content
    art = r.json()
    assert art["version"] == 1 and art["category"] == "会员/积分"
    assert art["id"] in _ids(api.get(None, "/search?q=积分能抵钱吗"))
    ok = api.patch(agent_li, f"/articles/{art['id']}", {"version": 1, "body": "100 积分抵 1 元。"})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.patch(agent_li, f"/articles/{art['id']}", {"version": 1, "title": "旧版本改动"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_article"
    assert api.get(None, f"/articles/{art['id']}").json()["title"] == "会员积分怎么用"
    moved = api.post(agent_li, f"/articles/{art['id']}/transition", {"to": "archived"})
    assert moved.status_code == 200 and moved.json()["status"] == "archived"
    assert api.get(None, f"/articles/{art['id']}").status_code == 404
    bad = api.post(agent_li, f"/articles/{art['id']}/transition", {"to": "in_review"})
    assert bad.status_code == 409


def test_customers_cannot_write(api, kb, customer_x):
    public = kb["track"]
    assert api.post(customer_x.user, "/articles", {"title": "x"}).status_code == 403
    r = api.patch(customer_x.user, f"/articles/{public.pk}", {"version": 1, "title": "改"})
    assert r.status_code == 403
    internal = kb["internal-comp"]
    assert (
        api.patch(customer_x.user, f"/articles/{internal.pk}", {"version": 1, "title": "改"}).status_code
        == 404
    )
    assert api.post(None, "/articles", {"title": "x"}).status_code == 401


@pytest.mark.fault("A1")
@pytest.mark.parametrize(
    "payload",
    [
        {"title": ""},
        {"title": "x" * 301},
        {"title": 5},
        {"title": "a", "audience": "everyone"},
        {"title": "a", "questions": "not a list"},
        {"title": "a", "nope": 1},
        {"title": "a", "language": "fr"},
        {"title": "a", "body": "x" * 200_001},
    ],
)
def test_create_bad_input_is_422(api, kb, agent_li, payload):
    r = api.post(agent_li, "/articles", payload)
    assert r.status_code == 422, r.content
    assert r.json()["code"] in ("invalid", "invalid_article")


def test_duplicate_external_id_is_4xx(api, kb, agent_li):
    r = api.post(agent_li, "/articles", {"title": "重复", "external_id": "track"})
    assert r.status_code == 422 and r.json()["field"] == "external_id"
