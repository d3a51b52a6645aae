"""Notices for people (SLA warnings, failed deliveries): written once, shown with an unread count."""

import pytest
from django.urls import reverse

from kefu.accounts.services import notify


def test_a_notice_is_written_once_per_key_and_shown_with_the_unread_count(client, agent_li, lead_zhao):
    assert (
        notify(
            [agent_li, lead_zhao, agent_li],
            kind="sla.warning",
            text="KF-1 剩余 10 分钟",
            url="/agent/",
            dedupe_key="sla:1:warn",
        )
        == 2
    )
    assert notify([agent_li], kind="sla.warning", text="KF-1 剩余 10 分钟", dedupe_key="sla:1:warn") == 0
    notify([agent_li], kind="mail.failed", text="回复发送失败 <b>x</b>")

    client.force_login(agent_li)
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert 'data-testid="unread-count">2<' in page
    assert "KF-1 剩余 10 分钟" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # escaped, never markup

    client.post(reverse("accounts:notifications"))
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert 'data-testid="unread-count"' not in page


@pytest.mark.fault("D2")
def test_each_person_sees_only_their_own_notices(client, agent_li, agent_wang):
    notify([agent_wang], kind="mention", text="王芳的私人提醒")
    client.force_login(agent_li)
    assert "王芳的私人提醒" not in client.get(reverse("accounts:notifications")).content.decode()
    client.post(reverse("accounts:notifications"))
    assert agent_wang.notifications.filter(read_at__isnull=True).count() == 1


def test_the_system_user_is_one_account_that_nobody_can_log_in_as_or_assign(client, db):
    from kefu.accounts.selectors import list_agents
    from kefu.accounts.services import system_user

    bot = system_user()
    assert system_user().pk == bot.pk
    assert not bot.has_usable_password()
    assert bot not in list_agents()
    response = client.post("/accounts/login/", {"username": "kefu-bot", "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
