"""The persona set of DESIGN.md, used by every test.

- agent_li, agent_wang: agents of the 售后服务 team
- lead_zhao: supervisor (sees everything)
- qa_sun: QA reviewer
- dept_chen: member of the 仓储 (warehouse) department
- customer_x, customer_y: two customers of different companies, each with a portal login
- agent_tech: an agent of another team (技术支持), to prove team scoping
"""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role
from kefu.intake.services import InboundMessage, receive
from kefu.tickets.models import Channel

from .clock import fixed_clock  # noqa: F401 (autouse: every test runs at a fixed instant)
from .factories import CustomerFactory, DepartmentFactory, TeamFactory, UserFactory

PASSWORD = "kefu-pass-123"


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.AXES_ENABLED = True
    # Assertions read English; tests/core/test_i18n.py checks the zh-Hans default explicitly.
    settings.LANGUAGE_CODE = "en"
    # Argon2 is the production hasher; tests hash hundreds of persona passwords, so use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def team_aftersales(db):
    return TeamFactory(name="售后服务")


@pytest.fixture
def team_tech(db):
    return TeamFactory(name="技术支持")


@pytest.fixture
def warehouse(db):
    return DepartmentFactory(name="仓储")


@pytest.fixture
def agent_li(team_aftersales):
    return UserFactory(username="agent_li", display_name="李娜", role=Role.AGENT, teams=[team_aftersales])


@pytest.fixture
def agent_wang(team_aftersales):
    return UserFactory(username="agent_wang", display_name="王芳", role=Role.AGENT, teams=[team_aftersales])


@pytest.fixture
def agent_tech(team_tech):
    return UserFactory(username="agent_tech", display_name="周强", role=Role.AGENT, teams=[team_tech])


@pytest.fixture
def lead_zhao(team_aftersales):
    return UserFactory(
        username="lead_zhao", display_name="赵主管", role=Role.SUPERVISOR, teams=[team_aftersales]
    )


@pytest.fixture
def qa_sun(db):
    return UserFactory(username="qa_sun", display_name="孙质检", role=Role.QA)


@pytest.fixture
def dept_chen(warehouse):
    user = UserFactory(username="dept_chen", display_name="陈仓管", role=Role.DEPARTMENT)
    user.department = warehouse
    user.save()
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="admin", display_name="管理员", role=Role.ADMIN, is_staff=True, is_superuser=True
    )


def _customer(username: str, name: str, email: str):
    user = UserFactory(username=username, display_name=name, role=Role.CUSTOMER, email=email)
    return CustomerFactory(user=user, name=name, email=email)


@pytest.fixture
def customer_x(db):
    return _customer("customer_x", "张小明", "xiaoming@example.cn")


@pytest.fixture
def customer_y(db):
    return _customer("customer_y", "刘洋", "liuyang@example.org")


@pytest.fixture
def make_ticket(db):
    """Open a ticket for a customer through the real intake pipeline."""
    counter = {"n": 0}

    def make(
        customer,
        *,
        subject="订单还没发货",
        body="我上周下的订单还没有发货，请帮忙查一下物流。",
        team=None,
        **kw,
    ):
        counter["n"] += 1
        received = receive(
            InboundMessage(
                channel=kw.pop("channel", Channel.WEB),
                external_id=f"test-{counter['n']}-{subject}",
                from_email=customer.email,
                from_name=customer.name,
                subject=subject,
                body_text=body,
                **kw,
            ),
            by=customer.user,
        )
        ticket = received.ticket
        if team is not None:
            ticket.team = team
            ticket.save(update_fields=["team"])
        return ticket

    return make
