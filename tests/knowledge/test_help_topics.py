"""The help centre's topics: only categories with public articles, in the reader's language."""

from __future__ import annotations

import pytest


@pytest.mark.fault("D2")
def test_internal_only_categories_are_not_named_to_customers(client, kb):
    from kefu.knowledge import services

    services.update_article(
        kb["internal-comp"], by=None, category=services.category_from_path("内部规范/补偿标准")
    )
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "退换货" in page and "物流" in page
    assert "内部规范" not in page and "补偿标准" not in page


def test_topics_follow_the_readers_language(client, kb):
    zh = client.get("/help/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Refunds" not in zh and "退换货" in zh
    assert "Refunds" in en and "退换货" not in en
    refunds = kb["en-refund"].category
    listing = client.get(f"/help/categories/{refunds.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How long does a refund take?" in listing
