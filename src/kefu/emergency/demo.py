"""Demo emergency plans: 工单激增 (tickets in the last hour over 3× the usual for that hour and
weekday) and 物流关键词激增 (快递/物流 in new tickets). Idempotent: found by name, never changed."""

from __future__ import annotations

from kefu.accounts.models import Role, User

from .models import EmergencyPlan
from .services import PlanData, save_plan

VOLUME = "工单激增"
KEYWORD = "物流关键词激增"
BROADCAST = (
    "{{ customer_name }}您好，我们注意到近期咨询量激增，您的工单 {{ ticket_number }} 已收到，"
    "我们正在全力处理，预计 {{ expected_time }} 内回复您。给您带来不便，敬请谅解。"
)


def load_config() -> None:
    lead = (
        User.objects.filter(username="zhaomin").first() or User.objects.filter(role=Role.SUPERVISOR).first()
    )
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    contacts = [u.pk for u in (lead, admin) if u is not None]
    actor = lead or admin
    if actor is None:
        return
    plans = [
        PlanData(
            name=VOLUME,
            trigger="volume",
            description="最近一小时新工单超过同一星期几、同一时段平时水平的 3 倍时启动。",
            window_minutes=60,
            multiplier=3.0,
            baseline_weeks=4,
            min_count=20,
            cooldown_minutes=120,
            steps=[
                "值班主管确认激增原因（活动、故障、物流异常）",
                "通知技术部与仓储部排查",
                "开启加班排班，增派在线客服",
                "发送统一安抚回复",
                "每 30 分钟同步一次进展，恢复后复盘",
            ],
            contact_ids=contacts,
            contact_emails=["oncall@example.cn"],
            broadcast_text=BROADCAST,
        ),
        PlanData(
            name=KEYWORD,
            trigger="keyword",
            description="新工单中“快递/物流”相关问题超过平时 3 倍且至少 10 单时启动。",
            window_minutes=60,
            multiplier=3.0,
            baseline_weeks=4,
            min_count=10,
            keyword="快递/物流",
            cooldown_minutes=120,
            steps=[
                "联系合作快递确认延误范围",
                "在帮助中心发布物流公告",
                "对受影响订单发送统一回复",
                "跟踪签收情况，必要时补发或补偿",
            ],
            contact_ids=contacts,
            broadcast_text=(
                "{{ customer_name }}您好，受物流影响，部分订单配送延迟。您的工单 {{ ticket_number }} "
                "已登记，我们正在与快递公司核实，会第一时间告知进展。"
            ),
        ),
    ]
    for data in plans:
        if not EmergencyPlan.objects.filter(name=data.name).exists():
            save_plan(data, by=actor)
