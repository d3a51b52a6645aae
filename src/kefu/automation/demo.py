"""Demo configuration of 云杉优品: standard scripts (话术), triggers, time rules and macros.

`load_config()` runs before the demo tickets and is idempotent: what exists (by name) is kept.
"""

from __future__ import annotations

from django.db import transaction

from kefu.accounts.models import Role, User

from . import services
from .models import CannedReply, Macro, TimeRule, Trigger

DAY = 24 * 60

# title, category, language, body
CANNED = (
    (
        "问候 · 首次接待",
        "问候",
        "zh-hans",
        "{{ customer_name }} 您好，我是云杉优品客服{{ agent_name }}，很高兴为您服务！请问有什么可以帮您？",
    ),
    (
        "工单已受理",
        "问候",
        "zh-hans",
        "{{ customer_name }} 您好，您的问题已登记为工单 {{ ticket_number }}，我们会在 {{ expected_time }} 前给您答复，请耐心等待。",
    ),
    (
        "退换货流程",
        "退换货",
        "zh-hans",
        "{{ customer_name }} 您好，云杉优品支持签收后 7 天无理由退货、15 天内质量问题换货。请在“我的订单”中点击“申请售后”，"
        "上传商品照片并填写原因，审核通过后快递员会上门取件，退款将在仓库签收后 1–3 个工作日原路退回。",
    ),
    (
        "生鲜退款绿色通道",
        "退换货",
        "zh-hans",
        "{{ customer_name }} 您好，生鲜商品问题我们走绿色通道处理：请拍下商品和外包装照片发给我们，无需寄回，"
        "{{ expected_time }} 前为您给出处理方案。",
    ),
    (
        "物流查询",
        "物流",
        "zh-hans",
        "{{ customer_name }} 您好，已为您查询物流：包裹正在运输途中，一般 1–3 天送达。如超过预计时间仍未收到，请随时联系我们，"
        "工单号 {{ ticket_number }}。",
    ),
    (
        "催发货安抚",
        "物流",
        "zh-hans",
        "非常理解您着急的心情！我已联系仓库加急处理您的订单，发货后会第一时间把单号同步给您。",
    ),
    (
        "发票开具说明",
        "发票",
        "zh-hans",
        "{{ customer_name }} 您好，订单确认收货后可在“我的订单 → 申请开票”中开具电子普通发票；如需增值税专用发票，"
        "请提供公司名称、税号、开户行及账号，我们会在 3 个工作日内开具。",
    ),
    (
        "发票信息确认",
        "发票",
        "zh-hans",
        "请您再核对一下开票抬头和税号，确认无误后我们马上为您开具，开好后会发送到您的邮箱。",
    ),
    (
        "道歉安抚",
        "投诉处理",
        "zh-hans",
        "{{ customer_name }} 您好，给您带来不好的体验，我们深表歉意！您反馈的问题我（{{ agent_name }}）会全程跟进，"
        "{{ expected_time }} 前给您明确的处理结果。",
    ),
    (
        "投诉升级告知",
        "投诉处理",
        "zh-hans",
        "您的反馈我们非常重视，已升级给主管专门处理，工单号 {{ ticket_number }}，稍后主管会直接联系您。",
    ),
    (
        "等待客户补充信息",
        "跟进",
        "zh-hans",
        "{{ customer_name }} 您好，为了尽快帮您处理，麻烦补充一下订单号和问题照片，收到后我们立即跟进。",
    ),
    ("结束语", "结束语", "zh-hans", "感谢您的耐心，如还有其他问题，欢迎随时联系云杉优品客服。祝您生活愉快！"),
    (
        "退款已处理",
        "退换货",
        "zh-hans",
        "{{ customer_name }} 您好，您的退款已原路退回，一般 1–3 个工作日到账，请注意查收。感谢您的耐心！",
    ),
    (
        "Greeting",
        "问候",
        "en",
        "Hello {{ customer_name }}, this is {{ agent_name }} from Yunshan customer service. How can I help you?",
    ),
    (
        "Ticket received",
        "问候",
        "en",
        "Hello {{ customer_name }}, we have logged your request as {{ ticket_number }} and will reply by {{ expected_time }}.",
    ),
    (
        "Closing",
        "结束语",
        "en",
        "Thank you for your patience. If there is anything else, we are always here to help.",
    ),
)


def _actor() -> User | None:
    return (
        User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        or User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    )


@transaction.atomic
def load_config() -> None:
    by = _actor()
    if by is None:
        return
    for title, category, language, body in CANNED:
        if not CannedReply.objects.filter(title=title, owner=None).exists():
            services.save_canned_reply(
                by=by, title=title, body=body, category=category, language=language, shared=True
            )

    triggers = (
        (
            "投诉：提高优先级并打标签",
            "created",
            [{"field": "ticket.subject", "op": "contains_any", "value": ["投诉", "12315", "律师"]}],
            [{"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["投诉"]}],
        ),
        (
            "VIP 客户打标签",
            "created",
            [{"field": "customer.tier", "op": "in", "value": ["vip", "premium_vip"]}],
            [{"type": "add_tags", "value": ["VIP"]}],
        ),
        (
            "发票请求打标签",
            "created",
            [{"field": "ticket.subject", "op": "contains", "value": "发票"}],
            [{"type": "add_tags", "value": ["发票"]}],
        ),
    )
    for position, (name, event, conditions, actions) in enumerate(triggers, start=1):
        if not Trigger.objects.filter(name=name).exists():
            services.save_trigger(
                by=by, name=name, event=event, conditions=conditions, actions=actions, position=position * 10
            )

    rules = (
        (
            "待客户回复 3 天：提醒",
            "pending_for",
            3 * DAY,
            [
                {
                    "type": "reply",
                    "body": "{{ customer_name }} 您好，您的工单 {{ ticket_number }} 还在等待您的回复，"
                    "如问题已解决请告诉我们，4 天后无回复工单将自动关闭。",
                }
            ],
        ),
        ("待客户回复 7 天：自动解决", "pending_for", 7 * DAY, [{"type": "set_status", "value": "solved"}]),
        (
            "10 分钟未分配：通知组长",
            "unassigned_for",
            10,
            [{"type": "notify", "to": "team_lead", "text": "工单 10 分钟仍未分配，请尽快安排"}],
        ),
    )
    for position, (name, kind, minutes, actions) in enumerate(rules, start=1):
        if not TimeRule.objects.filter(name=name).exists():
            services.save_time_rule(
                by=by, name=name, kind=kind, minutes=minutes, actions=actions, position=position * 10
            )

    refund = CannedReply.objects.filter(title="退款已处理", owner=None).first()
    macros = [
        (
            "转仓储处理",
            [
                {"type": "share", "value": "仓储"},
                {"type": "set_status", "value": "on_hold"},
                {"type": "add_note", "body": "已转仓储核实，{{ agent_name }} 跟进处理结果。"},
            ],
        ),
    ]
    if refund is not None:
        macros.append(
            (
                "退款已处理",
                [{"type": "reply", "canned_reply": refund.pk}, {"type": "set_status", "value": "solved"}],
            )
        )
    for position, (name, actions) in enumerate(macros, start=1):
        if not Macro.objects.filter(name=name, owner=None).exists():
            try:
                services.save_macro(by=by, name=name, actions=actions, position=position * 10)
            except services.RuleInvalid:  # e.g. no 仓储 department in a trimmed demo
                continue
