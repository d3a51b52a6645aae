"""Create the e2e personas and a small, realistic queue in the database of KEFU_DATA_DIR
(run in a subprocess, like an operator). The background tickets make the queue, keyboard
navigation and search look like a working day, not an empty scaffold."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from kefu.accounts.models import Role, Team  # noqa: E402
from kefu.accounts.services import create_user  # noqa: E402
from kefu.customers.models import Customer, Tier  # noqa: E402
from kefu.tickets import services  # noqa: E402
from kefu.tickets.models import Channel, Priority, TicketType  # noqa: E402
from tests.e2e import PASSWORD  # noqa: E402

# (customer, tier, subject, body, channel, type, priority)
BACKGROUND = [
    (
        "刘洋",
        Tier.VIP,
        "申请退货：收到的电饭煲内胆有划痕",
        "订单号 20260312-8841，昨天签收，打开发现内胆有明显划痕，想申请退货退款。",
        Channel.EMAIL,
        TicketType.AFTER_SALES,
        Priority.HIGH,
    ),
    (
        "陈静",
        Tier.REGULAR,
        "物流查询：订单三天没有更新",
        "快递单号 SF1234567890 从上海发出后三天没有物流信息，请帮忙查询。",
        Channel.CHAT,
        TicketType.CONSULTATION,
        Priority.NORMAL,
    ),
    (
        "王磊",
        Tier.PREMIUM_VIP,
        "发票抬头开错了，需要重开增值税专用发票",
        "公司名称少了“有限”两个字，麻烦作废后重新开具专票。",
        Channel.EMAIL,
        TicketType.CONSULTATION,
        Priority.NORMAL,
    ),
    (
        "赵敏",
        Tier.REGULAR,
        "账户安全：收到异地登录提醒",
        "今天早上收到广州的登录提醒，但我人在北京，担心账号被盗。",
        Channel.PHONE,
        TicketType.TECHNICAL,
        Priority.URGENT,
    ),
    (
        "孙悦",
        Tier.REGULAR,
        "投诉：客服承诺的回电一直没有打来",
        "上周五说两小时内回电，到现在都没有人联系我，非常不满意。",
        Channel.PHONE,
        TicketType.COMPLAINT,
        Priority.HIGH,
    ),
    (
        "Emily Carter",
        Tier.REGULAR,
        "Exchange request: wrong size delivered",
        "I ordered size M but received size L. Could I exchange it? Order 20260310-5521.",
        Channel.EMAIL,
        TicketType.AFTER_SALES,
        Priority.LOW,
    ),
]


def main() -> None:
    team = Team.objects.create(name="售后服务")
    agents = {}
    for username, name in (("agent_li", "李娜"), ("agent_wang", "王芳")):
        user = create_user(
            username=username,
            password=PASSWORD,
            role=Role.AGENT,
            display_name=name,
            email=f"{username}@kefu.test",
        )
        user.teams.add(team)
        agents[username] = user
    user = create_user(
        username="customer_x",
        password=PASSWORD,
        role=Role.CUSTOMER,
        display_name="张小明",
        email="xiaoming@example.cn",
    )
    Customer.objects.create(user=user, name="张小明", email="xiaoming@example.cn")

    for i, (name, tier, subject, body, channel, kind, priority) in enumerate(BACKGROUND):
        customer = Customer.objects.create(name=name, tier=tier, email=f"customer{i}@example.cn")
        created = services.open_ticket(
            customer=customer,
            subject=subject,
            body=body,
            by=None,
            channel=channel,
            type=kind,
            priority=priority,
            team=team,
        )
        if i % 3 == 0:  # a few already taken by 王芳, the rest wait in the unassigned view
            services.assign(created.ticket, to=agents["agent_wang"], by=agents["agent_wang"])

    # The operation around the queue (no worker runs here, so set up directly what the handlers
    # would): SLA policies and timers, the knowledge base, the canned replies.
    from kefu.automation import demo as automation_demo
    from kefu.knowledge import demo as knowledge_demo
    from kefu.sla import demo as sla_demo

    create_user(
        username="lead_zhao",
        password=PASSWORD,
        role=Role.SUPERVISOR,
        display_name="赵敏",
        email="zhao@kefu.test",
    )
    sla_demo.load_config()
    sla_demo.after_tickets()
    knowledge_demo.load_config()
    automation_demo.load_config()


if __name__ == "__main__":
    main()
