import pytest

from kefu.knowledge import services
from kefu.knowledge.errors import BadTransition, InvalidArticle
from kefu.knowledge.models import Article, Audience, Kind
from kefu.knowledge.render import render_markdown
from kefu.knowledge.states import Status


def test_edit_keeps_history_diff_and_restore(agent_li, lead_zhao):
    article = services.create_article(
        by=agent_li, title="运费说明", body="满 99 元包邮。", questions=["包邮吗"]
    )
    services.update_article(article, by=agent_li, body="满 79 元包邮。", questions=["包邮吗", "运费多少"])
    article.refresh_from_db()
    assert article.version == 2
    v1, v2 = article.versions.get(number=1), article.versions.get(number=2)
    diff = services.diff_versions(v1, v2)
    assert ("del", "-满 99 元包邮。") in diff and ("add", "+满 79 元包邮。") in diff
    assert ("add", "+? 运费多少") in diff

    services.restore_version(article, number=1, by=lead_zhao)
    article.refresh_from_db()
    assert article.body == "满 99 元包邮。" and article.questions == ["包邮吗"]
    assert article.version == 3 and article.versions.count() == 3


@pytest.mark.fault("D1")
def test_stale_edit_is_refused(agent_li, agent_wang):
    article = services.create_article(by=agent_li, title="发票", body="a")
    services.update_article(article, by=agent_li, body="b", version=1)
    with pytest.raises(Exception) as err:
        services.update_article(article, by=agent_wang, body="c", version=1)
    assert err.value.code == "stale_article"


def test_publish_workflow(agent_li, lead_zhao):
    article = services.create_article(by=agent_li, title="优惠券怎么用", body="下单时选择优惠券。")
    assert article.status == Status.DRAFT and article.published_at is None
    services.transition(article, to=Status.IN_REVIEW, by=agent_li)
    services.transition(article, to=Status.PUBLISHED, by=lead_zhao)
    article.refresh_from_db()
    assert article.reviewer == lead_zhao and article.last_reviewed_at is not None
    services.transition(article, to=Status.ARCHIVED, by=lead_zhao)
    with pytest.raises(BadTransition):
        services.transition(article, to=Status.PUBLISHED, by=lead_zhao)


def test_case_articles_are_internal_only(agent_li):
    case = services.create_article(
        by=agent_li, title="雨天送货温暖服务", kind=Kind.CASE, audience=Audience.PUBLIC
    )
    assert case.audience == Audience.INTERNAL


def test_validation(agent_li):
    with pytest.raises(InvalidArticle):
        services.create_article(by=agent_li, title="   ")
    with pytest.raises(InvalidArticle):
        services.create_article(by=agent_li, title="x", language="klingon")
    services.create_article(by=agent_li, title="x", external_id="dup")
    with pytest.raises(InvalidArticle):
        services.create_article(by=agent_li, title="y", external_id="dup")
    assert Article.objects.count() == 1


@pytest.mark.fault("U1")
def test_markdown_is_rendered_safely():
    html = render_markdown(
        "**粗体** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n| a |\n|---|\n| b |"
    )
    assert "<strong>粗体</strong>" in html
    assert "<script" not in html and 'href="javascript' not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html  # shown as text, inert
    assert "<table>" in html


@pytest.mark.django_db
def test_demo_is_idempotent_and_answers_real_questions():
    from kefu.knowledge import demo

    demo.load_config()
    count = Article.objects.count()
    assert count >= 40
    demo.load_config()
    assert Article.objects.count() == count
    for question, key in [
        ("我的快递到哪了", "demo-track"),
        ("退钱要几天", "demo-refund-time"),
        ("發票抬頭寫錯了", "demo-invoice-change"),
        ("满多少包邮", "demo-shipping-fee"),
        ("how long does shipping take", "demo-en-shipping"),
    ]:
        result = services.answer(
            question, language="en" if question.isascii() else "zh-hans", channel="web", customer=None
        )
        assert result.articles and result.articles[0].external_id == key, (question, result)


@pytest.mark.fault("B5")
def test_stale_articles_remind_once_even_when_run_twice(agent_li, lead_zhao):
    from datetime import timedelta

    from kefu.accounts.models import Notification
    from kefu.core.clock import now
    from kefu.knowledge import tasks

    old = services.create_article(by=agent_li, title="旧文章", body="x", status=Status.PUBLISHED)
    Article.objects.filter(pk=old.pk).update(last_reviewed_at=now() - timedelta(days=400))
    services.create_article(by=agent_li, title="新文章", body="y", status=Status.PUBLISHED)
    orphan = services.create_article(by=None, title="无作者", body="z", status=Status.PUBLISHED)
    Article.objects.filter(pk=orphan.pk).update(last_reviewed_at=now() - timedelta(days=400))
    assert tasks.remind_stale_articles() == 2
    assert tasks.remind_stale_articles() == 0
    assert Notification.objects.get(user=agent_li).text.endswith("旧文章")
    assert Notification.objects.filter(user=lead_zhao).count() == 1
    services.mark_reviewed(old, by=lead_zhao)
