"""Helpers of the routing tests: open a ticket through intake with the after-commit handlers running."""

from __future__ import annotations

import itertools

import pytest

from kefu.intake.services import InboundMessage, receive
from kefu.tickets.models import Channel

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _team_answers_every_day(db):
    """The routing tests' world answers 7×24, so assignment is tested at whatever instant the run
    is at (.ci/run replays these tests on a Saturday, on National Day, at 23:59…). Which days an
    agent works by the business calendar has its own tests (test_availability.py), which replace
    this calendar with the one they need."""
    from kefu.sla.services import ALWAYS_WEEKLY, save_calendar

    return save_calendar(by=None, name="全天候", weekly=ALWAYS_WEEKLY, statutory=False, is_default=True)


@pytest.fixture
def route(django_capture_on_commit_callbacks):
    """route(customer, subject, body, channel=…, team=…) → the ticket after triage and assignment ran."""

    def make(
        customer, subject="订单还没发货", body="我上周下的订单还没有发货。", *, channel=Channel.WEB, team=None
    ):
        with django_capture_on_commit_callbacks(execute=True):
            received = receive(
                InboundMessage(
                    channel=channel,
                    external_id=f"routing-{next(_n)}",
                    from_email=customer.email,
                    from_name=customer.name,
                    subject=subject,
                    body_text=body,
                    team_id=team.pk if team else None,
                ),
                by=customer.user,
            )
        ticket = received.ticket
        ticket.refresh_from_db()
        return ticket

    return make


TRAIN_ROWS = [
    ("我要开发票", "财务"),
    ("发票抬头写错了怎么办", "财务"),
    ("请帮我开增值税专用发票", "财务"),
    ("退款什么时候到账", "财务"),
    ("订单还没有发货", "仓储"),
    ("快递一直不动，物流没有更新", "仓储"),
    ("包裹丢了，仓库查一下", "仓储"),
    ("发货太慢了", "仓储"),
    ("收到的商品是坏的，质量有问题", "质检"),
    ("衣服有破洞，做工很差", "质检"),
    ("产品有异味，质量不合格", "质检"),
    ("收到的杯子有裂纹", "质检"),
]


@pytest.fixture
def train_csv(tmp_path):
    def write(rows=TRAIN_ROWS, name="train.csv"):
        path = tmp_path / name
        lines = ["text,label"] + [f"{t},{label}" for t, label in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
