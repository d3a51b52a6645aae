import pytest
from django.urls import reverse

from kefu.knowledge import services
from kefu.knowledge.models import Article, ArticleFeedback, Kind
from kefu.knowledge.states import Status


def login(client, user):
    client.force_login(user.user if hasattr(user, "user") else user)
    return client


def test_help_centre_search_highlights_and_hides_internal(client, kb):
    page = client.get(reverse("help:home"), {"q": "退款 多久"})
    html = page.content.decode()
    assert (
        page.status_code == 200
        and "<mark>退款</mark>" in html
        and f"/help/articles/{kb['refund-time'].pk}/" in html
    )
    assert "内部" not in html
    assert client.get(reverse("help:home"), {"q": "退款补偿多少钱"}).content.decode().count("补偿标准") == 0
    assert client.get(reverse("help:article", args=[kb["internal-comp"].pk])).status_code == 404


def test_help_centre_browse_and_feedback(client, kb, customer_x):
    home = client.get(reverse("help:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "售后" in home and "物流" in home
    category = kb["refund-time"].category
    assert "退款多久到账" in client.get(reverse("help:category", args=[category.pk])).content.decode()
    page = client.get(reverse("help:article", args=[kb["refund-time"].pk])).content.decode()
    assert "<li>支付宝/微信：1-3 个工作日</li>" in page
    login(client, customer_x)
    response = client.post(reverse("help:feedback", args=[kb["refund-time"].pk]), {"helpful": "0"})
    assert response.status_code == 302
    assert ArticleFeedback.objects.get().helpful is False
    kb["refund-time"].refresh_from_db()
    assert kb["refund-time"].unhelpful_count == 1


def test_staff_pages_need_an_agent(client, kb, customer_x, agent_li):
    url = reverse("kb:list")
    assert client.get(url).status_code == 302  # login
    login(client, customer_x)
    assert client.get(url).status_code == 404
    assert client.get(reverse("kb:article", args=[kb["internal-comp"].pk])).status_code == 404
    login(client, agent_li)
    page = client.get(url, {"q": "退款慢了赔多少"}).content.decode()
    assert "补偿标准" in page


def test_edit_publish_diff_and_restore_through_the_pages(client, agent_li, lead_zhao):
    login(client, agent_li)
    response = client.post(
        reverse("kb:new"),
        {
            "title": "优惠券叠加规则",
            "short_answer": "每单限用一张",
            "body": "每单限用一张店铺券。",
            "questions": "券能叠加吗\n可以用两张券吗",
            "tags": "优惠",
            "audience": "public",
            "language": "zh-hans",
            "kind": "article",
        },
    )
    article = Article.objects.get(title="优惠券叠加规则")
    assert response.status_code == 302 and article.questions == ["券能叠加吗", "可以用两张券吗"]
    client.post(
        reverse("kb:edit", args=[article.pk]),
        {
            "title": "优惠券叠加规则",
            "short_answer": "每单限用一张",
            "body": "每单可用一张店铺券和一张平台券。",
            "questions": "券能叠加吗",
            "tags": "优惠",
            "audience": "public",
            "language": "zh-hans",
            "kind": "article",
            "version": "1",
        },
    )
    page = client.get(reverse("kb:article", args=[article.pk])).content.decode()
    assert "+每单可用一张店铺券和一张平台券。" in page and "-每单限用一张店铺券。" in page
    client.post(reverse("kb:transition", args=[article.pk]), {"to": "published"})
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    client.post(reverse("kb:restore", args=[article.pk, 1]))
    article.refresh_from_db()
    assert article.body == "每单限用一张店铺券。" and article.version == 3
    stale = client.post(
        reverse("kb:edit", args=[article.pk]),
        {"title": "x", "audience": "public", "language": "zh-hans", "kind": "article", "version": "1"},
    )
    assert stale.status_code == 200 and "reload" in stale.content.decode()


def test_ticket_panel_suggests_and_records_help(
    client, kb, agent_li, customer_x, make_ticket, team_aftersales
):
    ticket = make_ticket(
        customer_x,
        subject="退款怎么还没到",
        body="我上周申请的退款，到现在钱还没退回来。",
        team=team_aftersales,
    )
    login(client, agent_li)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="kb-suggestions"' in page and "退款多久到账" in page
    assert "data-kb-insert=" in page and "knowledge/knowledge.js" in page
    response = client.post(
        reverse("kb:helped", args=[kb["refund-time"].pk, ticket.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert ArticleFeedback.objects.get(source="agent").ticket == ticket


def test_case_from_ticket_is_an_anonymised_internal_draft(
    client, agent_li, customer_x, make_ticket, team_aftersales
):
    ticket = make_ticket(
        customer_x,
        subject="张小明的包裹丢了",
        body="我是张小明，电话 13812345678，订单 202611230001 的包裹丢了，邮箱 xiaoming@example.cn",
        team=team_aftersales,
    )
    login(client, agent_li)
    response = client.post(reverse("kb:case_from_ticket", args=[ticket.pk]))
    case = Article.objects.get(kind=Kind.CASE)
    assert response.status_code == 302 and case.status == Status.DRAFT and case.audience == "internal"
    assert set(case.tags) == {"温暖服务", "可复制案例"} and case.source_ticket == ticket
    text = case.title + case.body
    for secret in ["张小明", "13812345678", "202611230001", "xiaoming@example.cn"]:
        assert secret not in text
    client.post(reverse("kb:case_from_ticket", args=[ticket.pk]))
    assert Article.objects.filter(kind=Kind.CASE).count() == 1


@pytest.mark.fault("A2")
def test_case_from_a_ticket_you_cannot_see_is_404(
    client, agent_tech, customer_x, make_ticket, team_aftersales
):
    ticket = make_ticket(customer_x, team=team_aftersales)
    login(client, agent_tech)
    assert client.post(reverse("kb:case_from_ticket", args=[ticket.pk])).status_code in (404,)
    assert not Article.objects.exists()


def test_gap_report_groups_unanswered_questions(client, kb, agent_li):
    for q in [
        "你们支持开发票给海外公司吗",
        "海外公司能开发票吗",
        "国外的公司可以开票吗",
        "你们门店在哪里",
        "线下门店地址",
        "实体店在哪",
        "积分可以转赠吗",
    ]:
        result = services.answer(q, language="zh-hans", channel="chat", customer=None)
        if result.decision == "answer":
            services.record_bot_feedback(result.question_id, helpful=False)
    login(client, agent_li)
    page = client.get(reverse("kb:gaps")).content.decode()
    assert 'data-testid="kb-gaps"' in page and "门店" in page
    from kefu.knowledge import gaps

    report = gaps.gap_report()
    assert sum(g.count for g in report) == 7
    assert max(g.count for g in report) >= 2
    draft = client.get(reverse("kb:gap_draft"), {"q": ["你们门店在哪里", "实体店在哪"]}).content.decode()
    assert "你们门店在哪里" in draft
