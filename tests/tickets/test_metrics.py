"""The ticket figures of the metric registry, computed by hand on small histories built with the
real services: reopened, merged, on-hold tickets, and a first response across the 2026 National
Day holiday and its 调休 make-up Saturday (2026-10-10)."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.accounts.services import system_user
from kefu.core import metrics
from kefu.tickets import services
from kefu.tickets.metrics import business
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.states import Status
from tests.clock import parse

OCT = {"start": date(2026, 10, 9), "end": date(2026, 10, 12)}


@pytest.fixture
def at(fixed_clock):
    """Move the test's clock to a local instant ("2026-10-09 10:00")."""

    def move(text: str) -> None:
        fixed_clock.move_to(parse(text))

    return move


def daily(key, start, end, **kw):
    series = metrics.compute(key, start=start, end=end, grain="day", **kw)
    return {(p.bucket, p.group): p.value for p in series.points}


@pytest.fixture
def october(at, make_ticket, customer_x, customer_y, agent_li, team_aftersales):
    """10-09: four tickets; t1 answered and solved; t2 put on hold (paused); t4 merged into t2.
    10-10 (a make-up Saturday): the customer writes on t1 again (reopened), solved again.
    10-12: t3 closed directly."""
    at("2026-10-09 09:00")
    t1 = make_ticket(customer_x, subject="发票抬头写错了", team=team_aftersales)
    at("2026-10-09 09:10")
    t2 = make_ticket(customer_x, subject="快递三天没动了", channel=Channel.EMAIL)
    at("2026-10-09 09:20")
    t3 = make_ticket(customer_y, subject="想换个颜色")
    at("2026-10-09 09:30")
    t4 = make_ticket(customer_x, subject="快递怎么还没到")
    at("2026-10-09 10:00")
    services.reply(t1, body="已为您重开发票。", by=agent_li)
    services.change_status(t1, to=Status.SOLVED, by=agent_li)
    at("2026-10-09 11:00")
    services.change_status(t2, to=Status.ON_HOLD, by=agent_li)
    at("2026-10-09 12:00")
    services.merge(t4, into=t2, by=agent_li)
    at("2026-10-10 10:00")
    services.reply(Ticket.objects.get(pk=t1.pk), body="抬头还是不对", by=customer_x.user)
    at("2026-10-10 15:00")
    services.change_status(Ticket.objects.get(pk=t1.pk), to=Status.SOLVED, by=agent_li)
    at("2026-10-12 09:00")
    services.change_status(Ticket.objects.get(pk=t3.pk), to=Status.CLOSED, by=agent_li)
    return t1, t2, t3, t4


def test_created_counts_every_arrival_merged_duplicates_too(october):
    t1, t2, t3, t4 = october
    assert daily("tickets_created", **OCT) == {(date(2026, 10, 9), ""): 4}
    assert daily("tickets_created", **OCT, by="channel") == {
        (date(2026, 10, 9), "email"): 1,
        (date(2026, 10, 9), "web"): 3,
    }
    drill = metrics.get("tickets_created").drill
    win = metrics.window(date(2026, 10, 9), date(2026, 10, 9))
    assert set(drill(win, "channel", "email")) == {t2}
    assert set(drill(win, None, None)) == {t1, t2, t3, t4}


def test_solved_counts_each_solve_and_not_the_merge(october):
    t1, _t2, t3, _t4 = october
    assert daily("tickets_solved", **OCT) == {
        (date(2026, 10, 9), ""): 1,
        (date(2026, 10, 10), ""): 1,  # t1 again, after the customer reopened it
        (date(2026, 10, 12), ""): 1,  # t3 closed directly
    }
    assert metrics.total("tickets_solved", **OCT) == 3
    drill = metrics.get("tickets_solved").drill
    assert set(drill(metrics.window(date(2026, 10, 10), date(2026, 10, 10)), None, None)) == {t1}
    assert set(drill(metrics.window(**OCT), "team", "none")) == {t3}


def test_backlog_is_what_is_open_at_the_end_of_each_day(october):
    t1, t2, t3, _t4 = october
    # 10-09: 4 created − t1 solved − t4 merged = t2 (on hold, still to do) and t3
    assert daily("backlog", **OCT) == {
        (date(2026, 10, 9), ""): 2,
        (date(2026, 10, 10), ""): 2,  # t1 reopened (+1) and solved again (−1)
        (date(2026, 10, 11), ""): 2,
        (date(2026, 10, 12), ""): 1,  # t3 closed
    }
    # a window that starts later carries the level from before it
    assert daily("backlog", date(2026, 10, 11), date(2026, 10, 11)) == {(date(2026, 10, 11), ""): 2}
    # a week's stock is its last day's
    week = metrics.compute("backlog", start=date(2026, 10, 5), end=date(2026, 10, 11), grain="week")
    assert [(p.bucket, p.value) for p in week.points] == [(date(2026, 10, 5), 2)]
    assert daily("backlog", date(2026, 10, 9), date(2026, 10, 9), by="channel") == {
        (date(2026, 10, 9), "email"): 1,
        (date(2026, 10, 9), "web"): 1,
    }
    drill = metrics.get("backlog").drill
    assert set(drill(metrics.window(date(2026, 10, 9), date(2026, 10, 9)), None, None)) == {t2, t3}
    assert set(drill(metrics.window(date(2026, 10, 10), date(2026, 10, 10)), None, None)) == {t2, t3}
    assert set(drill(metrics.window(**OCT), None, None)) == {t2}
    assert set(drill(metrics.window(**OCT), "channel", "web")) == set()


def test_the_backlog_ages_by_whole_days_since_creation(october):
    _t1, t2, _t3, _t4 = october
    by_age = daily("backlog", date(2026, 10, 11), date(2026, 10, 12), by="age")
    assert by_age[(date(2026, 10, 11), "1-2d")] == 2  # t2 and t3, created two days before
    assert by_age[(date(2026, 10, 12), "3-6d")] == 1  # t2, three days old
    assert by_age[(date(2026, 10, 12), "1-2d")] == 0
    assert daily("backlog_aged", date(2026, 10, 11), date(2026, 10, 12)) == {
        (date(2026, 10, 11), ""): 0,
        (date(2026, 10, 12), ""): 1,
    }
    drill = metrics.get("backlog_aged").drill
    assert set(drill(metrics.window(date(2026, 10, 12), date(2026, 10, 12)), None, None)) == {t2}
    assert set(drill(metrics.window(date(2026, 10, 11), date(2026, 10, 11)), None, None)) == set()
    assert (
        metrics.total("backlog", start=date(2026, 10, 12), end=date(2026, 10, 12), filters={"age": ["3-6d"]})
        == 1
    )


@pytest.fixture
def answered(at, make_ticket, customer_x, agent_li, team_aftersales, django_capture_on_commit_callbacks):
    """Two first responses across holidays, on the office calendar (9:00–12:00, 13:30–18:00):
    - ta: asked Wednesday 09-30 17:30, answered Thursday 10-08 09:30, after National Day
      (10-01..10-07): 30 + 30 = 60 working minutes; 7 days 16 hours = 11040 calendar minutes.
    - tb: asked Friday 10-09 17:00, answered Monday 10-12 10:00: Friday 60 + the make-up
      Saturday 10-10 (450) + Monday 60 = 570 working minutes; 65 hours = 3900 calendar minutes.
      An automatic receipt at 17:01 is not a response."""
    at("2026-09-30 17:30")
    ta = make_ticket(customer_x, subject="国庆前下的单", team=team_aftersales)
    at("2026-10-08 09:30")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ta, body="您好，已经发货。", by=agent_li)
    at("2026-10-09 17:00")
    tb = make_ticket(customer_x, subject="周五下午的问题", team=team_aftersales, channel=Channel.EMAIL)
    at("2026-10-09 17:01")
    services.reply(tb, body="我们已收到您的邮件。", by=system_user(), automated=True)
    at("2026-10-12 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(Ticket.objects.get(pk=tb.pk), body="您好，已处理。", by=agent_li)
    return ta, tb


def test_first_response_in_calendar_minutes(answered, agent_li):
    ta, tb = answered
    found = daily("first_response_minutes", date(2026, 9, 30), date(2026, 10, 12))
    assert found == {
        (date(2026, 10, 8), ""): pytest.approx(11040, abs=0.1),
        (date(2026, 10, 12), ""): pytest.approx(3900, abs=0.1),
    }
    total = metrics.total("first_response_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12))
    assert total == pytest.approx((11040 + 3900) / 2, abs=0.1)
    assert daily("first_response_minutes", date(2026, 10, 12), date(2026, 10, 12), by="agent") == {
        (date(2026, 10, 12), str(agent_li.pk)): pytest.approx(3900, abs=0.1)
    }
    drill = metrics.get("first_response_minutes").drill
    assert set(drill(metrics.window(date(2026, 10, 1), date(2026, 10, 31)), "channel", "email")) == {tb}


def test_first_response_in_business_minutes_skips_holidays_and_counts_the_makeup_saturday(answered):
    ta, tb = answered
    stored = dict(Ticket.objects.values_list("pk", "first_response_business_seconds"))
    assert stored[ta.pk] == pytest.approx(60 * 60, abs=2) and stored[tb.pk] == pytest.approx(570 * 60, abs=2)
    found = daily("first_response_business_minutes", date(2026, 9, 30), date(2026, 10, 12))
    assert found == {
        (date(2026, 10, 8), ""): pytest.approx(60, abs=0.1),
        (date(2026, 10, 12), ""): pytest.approx(570, abs=0.1),
    }
    assert metrics.total(
        "first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12)
    ) == pytest.approx(315, abs=0.1)


def test_history_written_without_reactions_is_filled_later(answered):
    ta, tb = answered
    Ticket.objects.update(first_response_business_seconds=None)  # as `kefu seed` or the demo leave it
    assert (
        metrics.total("first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12))
        is None
    )
    assert business.fill_missing() == 2
    assert business.fill_missing() == 0
    assert metrics.total(
        "first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12)
    ) == pytest.approx(315, abs=0.1)
