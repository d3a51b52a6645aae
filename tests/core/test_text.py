"""The shared search text pipeline (kefu.core.text): folding, index tokens, a query's content."""

import pytest

from kefu.core import text
from kefu.core.text import highlight_terms, index_text, query_terms


def groups(query):
    return [["+".join(alt) for alt in group] for group in query_terms(query).groups]


@pytest.mark.parametrize(
    "query,expected,loose",
    [
        # fillers and function words (没 了 的 怎么 还 谁 想) are not content; the second try
        # (`loose`) adds the optional characters, and lets characters jieba cut apart (到 账)
        # stand anywhere
        ("退款没到账", [["退款"], ["到账"]], [["退款"], ["到账", "到+账"]]),
        ("快递怎么还没到", [["快递"]], [["快递"], ["到"]]),
        ("发票开错了", [["发票"], ["开错"]], [["发票"], ["开错", "开+错"]]),
        ("想退货 运费谁出", [["退货"], ["运费"]], [["退货"], ["运费"], ["出"]]),
        ("有没有以旧换新", [["以旧+旧换+换新"]], []),
        ("收不到验证码怎么办", [["验证+证码"]], [["验证+证码"], ["收"], ["到"]]),
        # Traditional is folded to Simplified first
        ("想退貨 運費誰出", [["退货"], ["运费"]], [["退货"], ["运费"], ["出"]]),
        # nothing longer than one character: the characters count
        ("货还没到", [["货"], ["到"]], []),
        # English: stop words out, stemmed
        ("How do I get my refunds?", [["refund"]], []),
        # one word: no second try (a name no ticket holds finds nothing)
        ("常伟", [["常伟"]], []),
        # nothing but function words: taken literally
        ("没有", [["没有"]], []),
        ("！？", [], []),
    ],
)
def test_query_content(query, expected, loose):
    assert groups(query) == expected
    assert [["+".join(alt) for alt in group] for group in query_terms(query).loose] == loose


def test_index_tokens_fold_and_hold_content_characters():
    assert index_text("退貨了") == "退货 货了 退 货"
    assert index_text("Deliveries", "YS-2024-01") == "deliveri ys-2024-01"
    assert index_text("x" * 50, limit=10) == "x" * 10


def test_highlights_in_both_scripts():
    assert highlight_terms("退貨没到账") == ["退货", "退貨", "到账", "到賬"]
    assert highlight_terms("Refunds for the order") == ["Refunds", "order"]


def test_the_knowledge_search_uses_the_same_pipeline():
    """One copy of the folding, runs and word lists: the knowledge search imports them from core."""
    from kefu.knowledge.search import text as kb

    assert kb.t2s is text.t2s
    assert kb.FILLER is text.FILLER
    assert kb.ZH_STOP is text.ZH_STOP and kb.EN_STOP is text.EN_STOP
    assert kb.MAX_CHARS == text.MAX_CHARS
    assert kb.clean("退貨") == text.clean("退貨") == "退货"
