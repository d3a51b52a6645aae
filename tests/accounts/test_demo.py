"""The demo's past is dealt with (issue 14 item 9): a supervisor met 60 unread notifications on
the first login; the loaded history's notifications are read but the few newest of each person."""

from __future__ import annotations

from kefu.accounts import demo
from kefu.accounts.models import Notification
from kefu.accounts.services import notify


def test_old_demo_notifications_are_read_but_the_newest_few(lead_zhao, agent_li):
    for i in range(60):
        notify([lead_zhao], kind="sla_green", text=f"KF-{i:06d} 绿色通道", dedupe_key=f"demo:{i}")
    notify([agent_li], kind="sla_warning", text="KF-000001 即将到期", dedupe_key="demo:li")
    assert demo.settle_notifications() == 60 - demo.KEEP_UNREAD
    unread = Notification.objects.filter(user=lead_zhao, read_at__isnull=True)
    assert [n.text for n in unread] == [f"KF-{i:06d} 绿色通道" for i in (59, 58, 57)]  # the newest
    assert Notification.objects.get(user=agent_li).read_at is None
    assert demo.settle_notifications() == 0  # a second `kefu demo` changes nothing


def test_the_mail_demo_settles_them_last(lead_zhao, team_aftersales):
    from kefu.mail import demo as mail_demo

    for i in range(10):
        notify([lead_zhao], kind="sla_green", text=f"KF-{i:06d}", dedupe_key=f"demo:{i}")
    mail_demo.after_tickets()
    assert Notification.objects.filter(user=lead_zhao, read_at__isnull=True).count() == demo.KEEP_UNREAD
