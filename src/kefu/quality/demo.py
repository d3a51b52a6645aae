"""Demo quality work: a default scorecard in Chinese and the reply-check standard (load_config);
last week's sample, a few reviews by the QA reviewer and one dispute by the demo agent
(after_tickets). Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.db import transaction

from kefu.accounts.models import Role, User
from kefu.tickets.models import Ticket
from kefu.tickets.states import DONE_STATUSES

from . import checks, config, reviews, sampling, scorecards
from .models import CheckSettings, Review, Sample, Scorecard

SCORECARD = "标准服务质检表"
ITEMS = [
    {
        "section": "服务态度",
        "text": "服务态度：礼貌、耐心、无推诿",
        "weight": 20,
        "kind": "yes_no",
        "critical": True,
    },
    {"section": "服务态度", "text": "开场问候与结束语", "weight": 10, "kind": "yes_no", "critical": False},
    {"section": "业务能力", "text": "解决方案正确", "weight": 25, "kind": "scale", "critical": True},
    {
        "section": "业务能力",
        "text": "工单记录完整（类型、订单号、处理过程）",
        "weight": 15,
        "kind": "scale",
        "critical": False,
    },
    {"section": "服务规范", "text": "规范用语，无禁用语", "weight": 15, "kind": "yes_no", "critical": True},
    {"section": "服务规范", "text": "首问负责，无推诿转交", "weight": 15, "kind": "yes_no", "critical": True},
]
REVIEWER = "sunli"
AGENT = "lina"


def load_config() -> None:
    if not Scorecard.objects.filter(name=SCORECARD).exists():
        with transaction.atomic():
            scorecards._save(
                None,
                name=SCORECARD,
                description="每周抽检使用的标准质检表",
                active=True,
                items=[{**item, "id": None, "help_text": ""} for item in ITEMS],
            )
    if not CheckSettings.objects.exists():
        checks.save_standard(
            forbidden=config.get("forbidden"),
            greetings=config.get("greetings"),
            closings=config.get("closings"),
            require_greeting=True,
            require_closing=True,
        )


def _answers(card: Scorecard, *, weak: bool) -> dict[str, object]:
    answers: dict[str, object] = {}
    for n, item in enumerate(card.items.order_by("position")):
        if item.kind == "scale":
            answers[str(item.pk)] = 3 if weak and n == 3 else 4 if weak else 5
        else:
            answers[str(item.pk)] = "no" if weak and n == 1 else "yes"
    return answers


def after_tickets() -> None:
    load_config()
    sampling.run()
    reviewer = User.objects.filter(username=REVIEWER, role=Role.QA).first()
    agent = User.objects.filter(username=AGENT).first()
    card = Scorecard.objects.filter(name=SCORECARD).first()
    if reviewer is None or agent is None or card is None:
        return
    if Review.objects.filter(reviewer=reviewer, calibration__isnull=True).exists():
        return  # reviews already made by an earlier run
    # the agent's own ticket first (the demo agent sees and disputes it), then two of the sample
    theirs = (
        Ticket.objects.filter(assignee=agent, status__in=list(DONE_STATUSES), merged_into__isnull=True)
        .order_by("-solved_at")
        .first()
    )
    picked = [theirs] if theirs else []
    for sample in (
        Sample.objects.filter(reviewer=reviewer).select_related("ticket").order_by("-week", "ticket_id")[:4]
    ):
        if sample.ticket not in picked and len(picked) < 3:
            picked.append(sample.ticket)
    for n, ticket in enumerate(picked):
        review = reviews.open_review(ticket, by=reviewer, scorecard=card)
        review = reviews.save_review(
            review,
            by=reviewer,
            answers=_answers(card, weak=n == 0),
            summary="结束语缺失，处理过程记录不够完整。" if n == 0 else "处理规范，继续保持。",
            submit=True,
        )
        message = ticket.messages.filter(from_customer=False).order_by("pk").first()
        if message is not None and n == 0:
            reviews.add_comment(
                review, by=reviewer, message_id=message.pk, text="这里可以先安抚客户情绪，再给出方案。"
            )
        if n == 0 and review.agent_id == agent.pk:
            reviews.dispute(review, by=agent, reason="客户当时已经结束对话，结束语没有机会发出，请复核。")
        elif n == 1:
            reviews.add_coaching_note(
                review, by=reviewer, text="方案正确，可以在回复中主动告知预计到账时间。"
            )
