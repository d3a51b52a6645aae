"""Questions the demo's customers asked the bot over the last three weeks.

They are put to the real bot (`bot.answer`) when the demo loads, so what it answered, offered or
handed off is its own verdict, and the knowledge-gap report shows what the demo KB does not cover
(数字人民币, 花呗分期, 海外配送, 以旧换新, 企业团购). A few answers get the customer's
"not helpful", as in real life.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from kefu.core.clock import now

SESSION_PREFIX = "demo-bot-"

# (question, feedback on the answer: "" none, "no" not helpful)
QUESTIONS: list[tuple[str, str]] = [
    # covered by the demo articles
    ("东西不想要了，怎么退货？", ""),
    ("退款一般几天到账", ""),
    ("我的快递到哪了", ""),
    ("地址填错了还能改吗", ""),
    ("怎么开发票", ""),
    ("能开增值税专用发票吗？公司要报销", ""),
    ("密码忘了登录不上", ""),
    ("优惠券在哪里用", ""),
    ("新疆能发货吗", ""),
    ("保修期多久", "no"),
    ("How long does delivery take to Shanghai?", ""),
    # gaps: the demo KB has no article for these
    ("可以用数字人民币付款吗", ""),
    ("数字人民币可以用吗", ""),
    ("花呗可以分期付款吗", "no"),
    ("能不能分 12 期免息", ""),
    ("分期有手续费吗", ""),
    ("可以免息分期吗", ""),
    ("你们发货到海外吗？新加坡可以吗", ""),
    ("发货到美国吗", ""),
    ("国际快递能寄吗", ""),
    ("有以旧换新活动吗", ""),
    ("以旧换新有补贴吗", ""),
    ("以旧换新活动什么时候开始", ""),
    ("企业团购怎么下单", ""),
    ("团购有折扣吗", ""),
    ("公司批量买有优惠吗", ""),
    ("团购价怎么算", ""),
    ("Do you ship to Japan?", ""),
]


def load() -> int:
    """Ask the bot each question once (idempotent); returns how many were asked now."""
    from . import bot
    from .models import BotQuestion, Feedback

    if BotQuestion.objects.filter(session__startswith=SESSION_PREFIX).exists():
        return 0
    start = now() - timedelta(days=21)
    step = timedelta(days=20) / max(1, len(QUESTIONS))
    with transaction.atomic():
        for i, (question, feedback) in enumerate(QUESTIONS):
            language = "en" if question.isascii() else "zh-hans"
            bot.answer(question, language=language, channel="web", session=f"{SESSION_PREFIX}{i}")
            row = BotQuestion.objects.filter(session=f"{SESSION_PREFIX}{i}").latest("pk")
            fields = {"created_at": start + step * i}
            if feedback == "no":
                fields["feedback"] = Feedback.NOT_HELPFUL
            BotQuestion.objects.filter(pk=row.pk).update(**fields)
    return len(QUESTIONS)
