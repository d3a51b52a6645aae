"""The admin speaks Chinese (issue 14 item 4): column headers and filters name every field in the
reader's language, and the outbox's states are states (已发送), not the portal's 提交时间."""

from __future__ import annotations

import re

from django.contrib import admin
from django.utils import translation

from kefu.mail.models import OutboxMail, OutboxState

KEFU_APPS = {"accounts", "customers", "tickets", "intake", "automation", "mail", "routing", "knowledge"}


def _english(text: str) -> bool:
    """A lowercase English word; URL, IMAP, VIP are fine, so are Webhook and the languages' own names."""
    return bool(re.search(r"[a-z]{2,}", text)) and text not in {"Webhook", "English"}


def test_every_admin_column_and_filter_of_kefu_is_translated():
    untranslated = []
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label not in KEFU_APPS:
                continue
            names = [*model_admin.list_display, *model_admin.list_filter]
            for name in names:
                if not isinstance(name, str) or name == "__str__":
                    continue
                try:
                    field = model._meta.get_field(name)
                except Exception:  # a display method: its description is checked below
                    label = getattr(getattr(model_admin, name, None), "short_description", "")
                    if _english(str(label)):
                        untranslated.append(f"{model._meta.label}.{name}: {label}")
                    continue
                label = str(getattr(field, "verbose_name", name))
                if _english(label):
                    untranslated.append(f"{model._meta.label}.{name}: {label}")
                for _value, choice in getattr(field, "choices", None) or []:
                    if _english(str(choice)):
                        untranslated.append(f"{model._meta.label}.{name} choice {choice}")
    assert untranslated == []


def test_outbox_states_are_states_not_the_portals_date_label():
    with translation.override("zh-hans"):
        assert [str(label) for _v, label in OutboxState.choices] == ["发送中", "重试中", "已发送", "发送失败"]
        assert "提交时间" not in [str(label) for _v, label in OutboxState.choices]


def test_outbox_changelist_in_chinese(client, admin_user):
    OutboxMail.objects.create(
        to="xiaoming@example.cn",
        from_email="kefu@example.cn",
        subject="回复：发票抬头",
        body_text="您好",
        message_id="<kf-1@example.cn>",
        state=OutboxState.SENT,
    )
    client.force_login(admin_user)
    page = client.get("/admin/mail/outboxmail/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)<', page, re.S)
    assert {"收件人", "主题", "状态", "尝试次数", "下次尝试"} <= set(headers), headers
    assert "已发送" in page and "提交时间" not in page
    assert "以 state" not in page and "以 kind" not in page
