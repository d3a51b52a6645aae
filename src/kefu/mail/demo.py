"""Demo mailbox of 云杉优品: service@yunshan.example for the 售后服务 team, zh/en auto-replies."""

from __future__ import annotations

from kefu.accounts.models import Team

from .models import Mailbox, ProcessedAction

DEMO_ADDRESS = "service@yunshan.example"
OLD_DEMO_HOTLINE = "400-820-1234"


def load_config() -> None:
    """Idempotent: the mailbox is created once and never overwritten (an admin may have edited it)."""
    team = Team.objects.filter(name="售后服务").first()
    Mailbox.objects.get_or_create(
        address=DEMO_ADDRESS,
        defaults={
            "name": "云杉优品售后",
            "team": team,
            "processed_action": ProcessedAction.KEEP,
            # Blank: the auto-reply gives settings.KEFU_HOTLINE, the one hotline the pages, the
            # help centre and every other mail give.
            "hotline": "",
            "expected_time": "24–48 小时",
            "auto_reply_subject_zh": "【云杉优品】我们已收到您的邮件 [#{number}]",
            "auto_reply_body_zh": (
                "{name}，您好！\n\n感谢您联系云杉优品售后服务。我们已收到您的邮件，工单号 {number}。\n"
                "客服将在 {expected} 内回复您；紧急问题请拨打服务热线 {hotline}（每天 9:00–21:00）。\n\n"
                "直接回复本邮件即可补充订单号、照片等信息，请保留主题中的工单号。\n\n云杉优品客服中心"
            ),
            "auto_reply_subject_en": "[Yunshan] We received your email [#{number}]",
            "auto_reply_body_en": (
                "Hello {name},\n\nThank you for contacting Yunshan after-sales service. Your ticket number is "
                "{number}.\nWe will answer within {expected}; for urgent matters call {hotline} "
                "(daily 9:00–21:00).\n\nReply to this email to add your order number or photos, keeping "
                "the ticket number in the subject.\n\nYunshan customer service"
            ),
        },
    )
    # Demos before issue 14 stored a second number here (400-820-1234 beside KEFU_HOTLINE).
    Mailbox.objects.filter(address=DEMO_ADDRESS, hotline=OLD_DEMO_HOTLINE).update(hotline="")


def after_tickets() -> None:
    """The last demo step (mail is the last of ops.demo.DEMO_APPS): the notifications the loaded
    past raised are marked read but the few newest of each person (accounts.demo)."""
    from kefu.accounts import demo as accounts_demo

    accounts_demo.settle_notifications()
